use std::io::Read;
fn rss() -> String { std::fs::read_to_string("/proc/self/status").unwrap().lines().filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM")).collect::<Vec<_>>().join(" ") }
#[test]
fn probe() {
    let bytes = std::fs::read("/work/main/target/bench-vuln/synthetic-200k.zip").unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
    eprintln!("archive: {}", rss());
    let mut datas = Vec::new();
    for i in 0..20000 { let mut e = z.by_index(i).unwrap(); let mut d = Vec::new(); e.read_to_end(&mut d).unwrap(); datas.push(d); }
    eprintln!("read 20k entries: {}", rss());
    let mut all = Vec::new();
    for d in &datas { let p = assay_vuln::import::parse_bytes("a.json", d); all.extend(p.advisories); }
    eprintln!("parsed 20k: {}", rss());
}
