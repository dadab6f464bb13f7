//! Recording and aggregation: VUs record locally ([`recorder`]) and hand batches to
//! the one owner of histograms and series ([`aggregator`]), which publishes
//! [`dashboard::Dashboard`] frames built by [`frame`] (the snapshot viewer builds its
//! frames there too) and returns a [`record::RunRecord`].

pub mod aggregator;
pub mod chart_latency;
pub mod dashboard;
pub mod frame;
pub mod health;
pub mod hist_codec;
pub mod journey;
pub mod journey_summary;
pub mod record;
pub mod recorder;
pub mod recovery;
pub mod run_tables;
pub mod sample;
pub mod scope;
pub mod series;
pub mod stage_summary;
pub mod summary_types;
pub mod window;
