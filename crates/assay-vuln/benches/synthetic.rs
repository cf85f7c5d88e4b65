//! A synthetic CycloneDX 1.5 SBOM of `n` components, shaped like real generator output
//! (bom-ref, group, name, version, purl, hashes, licenses) over npm, Maven, PyPI, Go and
//! crates.io, deterministic for a given `n`. Shared by the criterion bench and the example
//! the peer-comparison script runs, so both read the same bytes.

pub fn cyclonedx(n: usize) -> String {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut components = Vec::with_capacity(n);
    for i in 0..n {
        let (major, minor, patch) = (next() % 20, next() % 40, next() % 30);
        let hash = format!(
            "{:016x}{:016x}{:016x}{:016x}",
            next(),
            next(),
            next(),
            next()
        );
        let (group, name, version, purl) = match i % 5 {
            0 => (
                "@scope".to_string(),
                format!("pkg-{i}"),
                format!("{major}.{minor}.{patch}"),
                format!("pkg:npm/%40scope/pkg-{i}@{major}.{minor}.{patch}"),
            ),
            1 => (
                format!("org.example{}", i % 97),
                format!("artifact-{i}"),
                format!("{major}.{minor}.{patch}.Final"),
                format!(
                    "pkg:maven/org.example{}/artifact-{i}@{major}.{minor}.{patch}.Final?type=jar",
                    i % 97
                ),
            ),
            2 => (
                String::new(),
                format!("py-dist-{i}"),
                format!("{major}.{minor}.{patch}"),
                format!("pkg:pypi/py-dist-{i}@{major}.{minor}.{patch}"),
            ),
            3 => (
                String::new(),
                format!("github.com/example{}/mod-{i}", i % 53),
                format!("v{major}.{minor}.{patch}"),
                format!(
                    "pkg:golang/github.com/example{}/mod-{i}@v{major}.{minor}.{patch}",
                    i % 53
                ),
            ),
            _ => (
                String::new(),
                format!("crate_{i}"),
                format!("{major}.{minor}.{patch}"),
                format!("pkg:cargo/crate_{i}@{major}.{minor}.{patch}"),
            ),
        };
        components.push(format!(
            r#"{{"type":"library","bom-ref":"{purl}","group":"{group}","name":"{name}","version":"{version}","description":"Synthetic component number {i} for benchmarks","hashes":[{{"alg":"SHA-256","content":"{hash}"}}],"licenses":[{{"license":{{"id":"Apache-2.0"}}}}],"purl":"{purl}"}}"#
        ));
    }
    format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79","version":1,"metadata":{{"timestamp":"2026-11-22T00:00:00Z","component":{{"type":"application","name":"synthetic","version":"1.0.0"}}}},"components":[{}]}}"#,
        components.join(",")
    )
}
