//! `airlift-cluster [--nodes N]`: a local deployment of several servers on loopback (what
//! `cargo xtask cluster` runs): PostgreSQL, the S3 test server, N `airliftd` (3 by default) and
//! nginx in front of them. Prints the URL and an admin token, then runs until Enter or Ctrl-C.
//! A development tool: nothing of it is shipped.

use std::io::BufRead as _;
use std::process::ExitCode;

use airlift_testkit::cluster::{LocalCluster, Logs, BUCKET};

fn main() -> ExitCode {
    let nodes = match parse_nodes(std::env::args().skip(1).collect()) {
        Ok(n) => n,
        Err(message) => {
            eprintln!(
                "airlift-cluster: {message}\nusage: airlift-cluster [--nodes N] (1..=9, default 3)"
            );
            return ExitCode::from(2);
        }
    };
    eprintln!("starting PostgreSQL, s3s-fs, {nodes} airliftd and nginx ...");
    let cluster = LocalCluster::start(nodes, true, &[], Logs::Files);
    let admin = cluster.token("acme", "admin");
    println!("Airlift cluster on loopback ({nodes} servers behind nginx)");
    println!();
    println!("  URL          {}", cluster.url());
    println!("  admin token  {admin}");
    println!("               (tenant acme; more: airliftd token --create --data {} --database {} --tenant T --role R)",
        cluster.data_dir(0).display(), cluster.database_url);
    println!();
    for i in 0..cluster.len() {
        println!(
            "  server {i}     {}  (log {})",
            cluster.base(i),
            cluster.dir().join(format!("node-{i}.log")).display()
        );
    }
    println!("  PostgreSQL   {}", cluster.database_url);
    println!(
        "  S3           {} bucket {BUCKET} (s3s-fs)",
        cluster.s3.endpoint()
    );
    if let Some(n) = cluster.nginx() {
        println!(
            "  nginx        {} (config {})",
            n.url(),
            n.dir().join("nginx.conf").display()
        );
    }
    println!();
    println!("  try: curl {}/readyz", cluster.url());
    println!("       AIRLIFT_SERVER_URL={} AIRLIFT_TOKEN=<admin token> airlift-sim run --provision 100 --profile-name sim", cluster.url());
    println!();
    println!("Enter (or Ctrl-C) stops everything and removes its data.");
    let mut line = String::new();
    if let Ok(0) = std::io::stdin().lock().read_line(&mut line) {
        // No terminal to read from: run until killed.
        loop {
            std::thread::park();
        }
    }
    drop(cluster);
    ExitCode::SUCCESS
}

fn parse_nodes(args: Vec<String>) -> Result<usize, String> {
    match args.as_slice() {
        [] => Ok(3),
        [flag, n] if flag == "--nodes" => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=9).contains(n))
            .ok_or_else(|| format!("--nodes takes 1 to 9, not {n:?}")),
        other => Err(format!("unexpected arguments {other:?}")),
    }
}
