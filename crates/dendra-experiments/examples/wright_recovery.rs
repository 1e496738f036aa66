use dendra_experiments::wright2025::recovery::*;
use dendra_experiments::wright2025::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2);
    let seeds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let p = Wright2025Params { apical_animals: n, basal_animals: n, apical_kir_animals: 0, basal_kir_animals: 0, ..Default::default() };
    let t = std::time::Instant::now();
    let rows = recovery(&p, &Preset::ALL, &(1..=seeds).collect::<Vec<_>>(), 2).unwrap();
    println!("{}", confusion_markdown(&rows));
    println!("accuracy {:.3} in {:.1}s", accuracy(&rows), t.elapsed().as_secs_f64());
}
