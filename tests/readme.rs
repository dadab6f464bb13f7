//! README's "What happens when…" table cites the test that proves each row: every
//! test it names must exist, so a renamed or deleted test cannot leave a claim
//! without its proof.

use std::path::Path;

#[test]
fn every_test_the_readme_cites_exists() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme
        .split("### What happens when")
        .nth(1)
        .expect("README has a \"What happens when…\" section");
    let section = section.split("\n#").next().unwrap();
    let tests = test_sources();
    let mut cited = 0;
    for row in section.lines().filter(|l| l.starts_with('|')) {
        let Some(proof) = row.trim_end_matches('|').rsplit('|').next() else {
            continue;
        };
        for name in backticked(proof) {
            if name.ends_with(".rs") || name == "proved by" {
                continue;
            }
            cited += 1;
            // `sig{term,hup,quit}_…` stands for one test per signal.
            for name in expand_braces(&name) {
                assert!(
                    tests.contains(&format!("fn {name}(")),
                    "README cites `{name}`, which is not a test in tests/"
                );
            }
        }
    }
    assert!(
        cited >= 10,
        "only {cited} tests cited: the table's format changed?"
    );
}

fn test_sources() -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(Path::new("tests")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            all.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    all
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn expand_braces(name: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (name.find('{'), name.find('}')) else {
        return vec![name.to_string()];
    };
    name[open + 1..close]
        .split(',')
        .map(|alt| format!("{}{alt}{}", &name[..open], &name[close + 1..]))
        .collect()
}
