//! End-to-end checks of datasets (SPEC §9) that a UI test cannot make: a corrupt Parquet
//! file in any of a few hundred ways is a runtime error, never a crash; `--max-memory`
//! stops a CSV or Parquet load while it reads (exit 3, located at the load).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn stark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stark"))
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("stark_dataset_cli_{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(name: &str, text: &str) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(args: &[&str], p: &Path) -> Output {
    stark().arg("run").args(args).arg(p).output().unwrap()
}

/// `stark run ARGS P`, which must succeed: its stdout.
fn run_ok(args: &[&str], p: &Path) -> String {
    let out = run(args, p);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A CSV of `rows` rows: an id, a text key, two floats.
fn csv(rows: usize) -> String {
    let mut s = String::from("id,key,x,y\n");
    for i in 0..rows {
        s.push_str(&format!(
            "{i},k{},{}.25,{}\n",
            i % 7,
            i % 1000,
            i as f64 * 0.5
        ));
    }
    s
}

/// A small xorshift, so the mutations are the same on every run.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn corrupt_parquet_files_are_runtime_errors() {
    let data = write("good.csv", &csv(300));
    let good = dir().join("good.parquet");
    let save = write(
        "save.stark",
        &format!(
            "fn main():\n    Dataset.load({:?}).save({:?})\n",
            data.to_str().unwrap(),
            good.to_str().unwrap()
        ),
    );
    run_ok(&[], &save);
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir().join("bad.parquet");
    let load = write(
        "load.stark",
        &format!(
            "fn main():\n    let d = Dataset.load({:?})\n    print(d.len(), d[\"x\"].sum())\n",
            bad.to_str().unwrap()
        ),
    );
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let (mut failed, mut loaded) = (0, 0);
    for round in 0..150 {
        let mut m = bytes.clone();
        match round % 3 {
            // A few bytes anywhere.
            0 | 1 => {
                for _ in 0..1 + next(&mut seed) % 6 {
                    let i = (next(&mut seed) % m.len() as u64) as usize;
                    m[i] = next(&mut seed) as u8;
                }
            }
            // Cut short.
            _ => m.truncate((next(&mut seed) % m.len() as u64) as usize),
        }
        std::fs::write(&bad, &m).unwrap();
        let out = run(&[], &load);
        let err = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => loaded += 1,
            Some(1) => {
                assert!(
                    err.contains("runtime error: cannot load"),
                    "round {round}: {err}"
                );
                failed += 1;
            }
            other => panic!("round {round}: exit {other:?}\n{err}"),
        }
        assert!(!err.contains("panicked"), "round {round}: {err}");
    }
    assert!(failed > 50, "{failed} failed, {loaded} loaded");
}

#[test]
fn max_memory_stops_a_load_while_it_reads() {
    let data = write("big.csv", &csv(200_000));
    let pq = dir().join("big.parquet");
    let save = write(
        "save_big.stark",
        &format!(
            "fn main():\n    Dataset.load({:?}).save({:?})\n",
            data.to_str().unwrap(),
            pq.to_str().unwrap()
        ),
    );
    assert!(run(&[], &save).status.success());
    for path in [data, pq] {
        let p = write(
            "capped.stark",
            &format!(
                "fn main():\n    print(\"start\")\n    let d = Dataset.load({:?})\n    print(d.len())\n",
                path.to_str().unwrap()
            ),
        );
        let out = run(&["--max-memory", "2000000"], &p);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{}: {err}", path.display());
        assert!(
            err.contains("out of memory") && err.contains("capped.stark:3:13"),
            "{err}"
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n");
        // With room, the same load runs.
        assert_eq!(
            run_ok(&["--max-memory", "200000000"], &p),
            "start\n200000\n"
        );
    }
}

/// The body of a CSV of `rows` rows that takes the parallel reader's every road: columns
/// of one kind throughout, columns whose kind changes late (so their parts disagree),
/// missing values in each spelling, texts `row(i)` must keep as written, blank lines and
/// `\r\n` line ends. `bad_at`: a row with a field too many there. Returns the body and
/// the file line of that row.
fn tricky_rows(rows: usize, bad_at: Option<usize>) -> (String, usize) {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut s = String::new();
    let mut line = 1; // the header
    let mut bad_line = 0;
    for i in 0..rows {
        let r = next(&mut seed);
        if r.is_multiple_of(97) {
            // Blank lines: empty, a lone `\r\n`, spaces and tabs only (pandas skips all).
            s.push_str(match r % 3 {
                0 => "\n",
                1 => "\r\n",
                _ => " \t \n",
            });
            line += 1;
        }
        let code = if r.is_multiple_of(11) {
            format!("{:03}", i % 50)
        } else {
            (i % 1000).to_string()
        };
        let price = match r % 13 {
            0 => "NA".to_string(),
            1 => String::new(),
            2 => format!("{}.50", i % 100),
            _ => format!("{}.{}", i % 1000, r % 100),
        };
        let late = if i == rows * 3 / 4 {
            "2.5".to_string()
        } else {
            i.to_string()
        };
        let name = match r % 17 {
            0 => "NA".to_string(),
            1 => String::new(),
            2 => format!("é{i}"),
            _ => format!("n{}", r % 500),
        };
        let flag = if r.is_multiple_of(3) { "True" } else { "False" };
        let sparse = if i == rows - 3 {
            "1.5"
        } else if r.is_multiple_of(5) {
            "null"
        } else {
            ""
        };
        let intmiss = if i == rows / 2 {
            String::new()
        } else {
            i.to_string()
        };
        let mixed = if i == rows * 6 / 7 {
            "word".to_string()
        } else {
            format!("{}", i % 10)
        };
        line += 1;
        let extra = if bad_at == Some(i) {
            bad_line = line;
            ",extra"
        } else {
            ""
        };
        let end = if r.is_multiple_of(7) { "\r\n" } else { "\n" };
        s.push_str(&format!(
            "{i},{code},{price},{late},{name},{flag},{sparse},{intmiss},{mixed}{extra}{end}"
        ));
    }
    (s, bad_line)
}

#[test]
fn large_files_read_in_chunks_as_small_files_are() {
    // Over 4 MiB: read in parallel chunks. The same rows under a header with a quote: read
    // record by record and typed from their text. Both must give the same dataset.
    let (body, _) = tricky_rows(150_000, None);
    assert!(body.len() > 5 << 20, "{}", body.len());
    let header = "id,code,price,late,name,flag,sparse,intmiss,mixed\n";
    let quoted = "\"id\",code,price,late,name,flag,sparse,intmiss,mixed\n";
    let fast = write("chunked.csv", &format!("{header}{body}"));
    let slow = write("records.csv", &format!("{quoted}{body}"));
    let mut outs = Vec::new();
    for path in [&fast, &slow] {
        let p = write(
            "compare.stark",
            &format!(
                "fn main():\n    let d = Dataset.load({:?})\n    print(d.len(), d.dtypes())\n    \
                 print(d[\"price\"].sum(), d[\"price\"].count(), d[\"late\"].sum(), d[\"sparse\"].count())\n    \
                 print(d[\"intmiss\"].mean(), d[\"code\"].sum(), d[\"name\"].count())\n    \
                 for i in range(0, d.len(), 7):\n        print(d.row(i))\n",
                path.to_str().unwrap()
            ),
        );
        outs.push(run_ok(&[], &p));
    }
    // The types pandas' read_csv gives these columns: checked with pandas 3.1 on the file
    // this test writes (`mixed` is `object` there: text). pandas' sums and counts of
    // price, late, sparse, intmiss, code and name equal the second and third lines.
    assert!(
        outs[0].starts_with(
            "150000 {\"id\": \"int64\", \"code\": \"int64\", \"price\": \"float64\", \
             \"late\": \"float64\", \"name\": \"string\", \"flag\": \"bool\", \
             \"sparse\": \"float64\", \"intmiss\": \"float64\", \"mixed\": \"string\"}\n"
        ),
        "{}",
        &outs[0][..300]
    );
    // `row(i)` gives the file's text: `007`, `12.50`, `NA` as written.
    assert!(
        outs[0].contains("\"price\": \"NA\"")
            && outs[0].contains("0.50\"")
            && outs[0].contains("\"code\": \"007\"")
    );
    assert!(
        outs[0] == outs[1],
        "the chunked reader differs from the record reader"
    );
}

#[test]
fn a_line_longer_than_a_read_block_still_loads() {
    // The chunked reader reads 512 KiB at a time and hands on whole lines: a 700 KB field
    // sends the file to the record reader, which must give the same dataset as the same
    // rows without it would (plus that row).
    let (body, _) = tricky_rows(150_000, None);
    let header = "id,code,price,late,name,flag,sparse,intmiss,mixed\n";
    let long = "x".repeat(700_000);
    let row = format!("150000,1,2.5,3.5,{long},True,,4,z\n");
    let path = write("long_line.csv", &format!("{header}{body}{row}"));
    let p = write(
        "long_line.stark",
        &format!(
            "fn main():\n    let d = Dataset.load({:?})\n    print(d.len(), len(d.row(d.len() - 1)[\"name\"]))\n    \
             print(d[\"price\"].count(), d[\"code\"].sum())\n",
            path.to_str().unwrap()
        ),
    );
    let out = run_ok(&[], &p);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first(), Some(&"150001 700000"), "{out}");
    // The rows without the long one, read in chunks: one price fewer, a code of 1 less.
    let short = write("short_lines.csv", &format!("{header}{body}"));
    let q = write(
        "short_lines.stark",
        &format!(
            "fn main():\n    let d = Dataset.load({:?})\n    print(d[\"price\"].count() + 1, d[\"code\"].sum() + 1)\n",
            short.to_str().unwrap()
        ),
    );
    assert_eq!(lines.get(1).copied(), Some(run_ok(&[], &q).trim()), "{out}");
}

#[test]
fn a_field_that_is_not_utf8_is_named_by_its_row() {
    // pandas stops with a UnicodeDecodeError; STARK names the column and the data row.
    // The byte 0xFF in a text column and in a number column, in a file read in chunks and
    // in one read record by record (a quote in the header), of 150,000 and of 20 rows.
    let header = "id,code,price,late,name,flag,sparse,intmiss,mixed\n";
    let quoted = "\"id\",code,price,late,name,flag,sparse,intmiss,mixed\n";
    for rows in [150_000, 20] {
        let (body, _) = tricky_rows(rows, None);
        let lines: Vec<String> = body.lines().map(str::to_string).collect();
        // The data row of a line: blank lines are no rows.
        let at = lines.len() * 2 / 3;
        let blank = |l: &str| l.trim_matches([' ', '\t', '\r']).is_empty();
        let row = lines[..=at].iter().filter(|l| !blank(l)).count();
        assert!(!blank(&lines[at]));
        for (column, k) in [("name", 4), ("late", 3)] {
            let mut bad = lines.clone();
            let mut fields: Vec<String> = bad[at].split(',').map(str::to_string).collect();
            // A marker byte no row has, then made 0xFF.
            fields[k].push('\u{1}');
            bad[at] = fields.join(",");
            let mut bytes = bad.join("\n").into_bytes();
            for b in bytes.iter_mut().filter(|b| **b == 1) {
                *b = 0xFF;
            }
            for head in [header, quoted] {
                let path = dir().join(format!("bad_utf8_{rows}_{column}.csv"));
                let mut all = head.as_bytes().to_vec();
                all.extend_from_slice(&bytes);
                std::fs::write(&path, all).unwrap();
                let p = write(
                    "bad_utf8.stark",
                    &format!(
                        "fn main():\n    print(Dataset.load({:?}).len())\n",
                        path.to_str().unwrap()
                    ),
                );
                let out = run(&[], &p);
                let err = String::from_utf8_lossy(&out.stderr);
                assert_eq!(out.status.code(), Some(1), "{err}");
                assert!(
                    err.contains(&format!(
                        "column \"{column}\" is not valid UTF-8 (data row {row})"
                    )),
                    "{rows} rows, {column}, {head:?}: {err}"
                );
            }
        }
    }
}

#[test]
fn a_bad_row_in_a_large_file_is_named_by_its_line() {
    let header = "id,code,price,late,name,flag,sparse,intmiss,mixed\n";
    let quoted = "\"id\",code,price,late,name,flag,sparse,intmiss,mixed\n";
    let (body, line) = tricky_rows(150_000, Some(123_457));
    for (name, head) in [("bad_chunked.csv", header), ("bad_records.csv", quoted)] {
        let path = write(name, &format!("{head}{body}"));
        let p = write(
            "bad.stark",
            &format!(
                "fn main():\n    print(Dataset.load({:?}).len())\n",
                path.to_str().unwrap()
            ),
        );
        let out = run(&[], &p);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("{name}:{line}: expected 9 fields, found 10")),
            "{name}: line {line}: {err}"
        );
    }
}

#[test]
fn a_lone_carriage_return_ends_a_line_in_a_large_file_too() {
    // pandas and the record reader end a line at `\r` alone; a large file with one must
    // read the same (the chunked reader leaves such files to the record reader). The
    // rows were counted with pandas 3.1: `pd.read_csv` of this body gives 300,001 rows,
    // column c all "x" (no `\r` left in a field).
    let mut body = String::from("a,b,c\n");
    for i in 0..300_000 {
        body.push_str(&match i {
            1000 => format!("{i},{i}.5,x\r\r\n"),
            150_000 => format!("{i},{i}.5,x\r-1,0.5,x\n"),
            _ => format!("{i},{i}.5,x\n"),
        });
    }
    assert!(body.len() > 4 << 20);
    let path = write("lone_cr.csv", &body);
    let p = write(
        "lone_cr.stark",
        &format!(
            "fn main():\n    let d = Dataset.load({:?})\n    print(d.len(), d.dtypes())\n    print(d[\"c\"].value_counts())\n",
            path.to_str().unwrap()
        ),
    );
    let stdout = run_ok(&[], &p);
    assert!(
        stdout.starts_with("300001 {\"a\": \"int64\", \"b\": \"float64\", \"c\": \"string\"}\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("300001") && !stdout.contains('\r'),
        "{stdout}"
    );
}
