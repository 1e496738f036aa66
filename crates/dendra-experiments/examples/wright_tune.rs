use dendra_experiments::wright2025::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let preset = args.get(1).map(|s| s.as_str()).unwrap_or("paper");
    let n: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut p = Wright2025Params::default();
    p.preset = match preset { "paper" => Preset::Paper, "swapped" => Preset::Swapped, "uniform" => Preset::Uniform, _ => Preset::Article };
    p.apical_animals = n; p.basal_animals = n; p.apical_kir_animals = n; p.basal_kir_animals = n;
    {
        let animals = cohort(&p, seed);
        let a = &animals[0];
        let r = animal::run(&p, a, &|_| {}).unwrap();
        let (mut cue_n, mut iti_n) = (0, 0);
        for &t in &r.soma_spikes { let k = (t / p.trial_ms) as usize; let tt = t - k as f64 * p.trial_ms; if tt >= p.cue_onset_ms && tt < p.cue_onset_ms + p.response_ms { cue_n += 1 } else { iti_n += 1 } }
        let ntr = r.trials.len() as f64;
        let mot_cue = r.motor_spikes.iter().filter(|m| { let k = (m.0 / p.trial_ms) as usize; let tt = m.0 - k as f64 * p.trial_ms; tt >= p.cue_onset_ms && tt < p.cue_onset_ms + p.response_ms }).count();
        println!("soma cue {:.1} Hz iti {:.1} Hz; motor cue {:.1} Hz iti {:.1} Hz", cue_n as f64 / (ntr * p.response_ms / 1000.0), iti_n as f64 / (ntr * (p.trial_ms - p.response_ms) / 1000.0), mot_cue as f64 / 30.0 / (ntr * p.response_ms / 1000.0), (r.motor_spikes.len() - mot_cue) as f64 / 30.0 / (ntr * (p.trial_ms - p.response_ms) / 1000.0));
    }
    let run = simulate(&p, seed, 2, &|_, _| {}).unwrap();
    let t = std::time::Instant::now();
    let study = dendra_analysis::analyze(&run.data, &dendra_analysis::StudyParams::default());
    let s = summarize(&p, seed, &run, &study, t.elapsed().as_secs_f64());
    println!("{}", serde_json::to_string_pretty(&s.to_json()).unwrap());
    for b in &study.behaviour { println!("session {} success {:.2} rt {:.3} st {:.2}", b.session, b.success, b.reaction_s, b.stereotypy); }
    // per truth category
    let truth: std::collections::HashMap<u32,(bool,bool)> = run.truth.iter().map(|&(i,m,c)| (i,(m,c))).collect();
    for comp in ["apical","basal"] { for cond in ["control","kir"] {
      for (m,c) in [(true,true),(true,false),(false,true),(false,false)] {
        let sel: Vec<_> = study.spines.iter().filter(|s| s.compartment==comp && s.condition==cond && truth[&s.spine]==(m,c)).collect();
        if sel.is_empty() { continue; }
        let n = sel.len() as f64;
        let mean = |f: &dyn Fn(&dendra_analysis::study::SpineFeatures)->f64| sel.iter().map(|s| f(s)).sum::<f64>()/n;
        println!("{comp:6} {cond:7} move={m:5} clust={c:5} n={n:3} ratio={:.2} enl={:.2} local={:.2} bap={:.2} rate={:.1} dist={:.2}", mean(&|s| s.ratio), sel.iter().filter(|s| s.class=="enlarged").count() as f64/n, mean(&|s| s.local), mean(&|s| s.bap), mean(&|s| s.rate_per_min), mean(&|s| s.distant));
      }}}
    println!("sim {:.1}s analyze {:.1}s", run.seconds, t.elapsed().as_secs_f64());
}
#[allow(dead_code)]
fn rates() {}
