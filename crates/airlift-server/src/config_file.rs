//! Where `airliftd serve`'s options come from: flags, then `AIRLIFT_<OPTION>` environment
//! variables, then a TOML file (`--config FILE`), in that order of precedence (the spec's
//! "Server configuration").
//!
//! The options are `serve`'s clap arguments and nothing else: every one gets its environment
//! variable here ([`with_env`]), a file's keys are their long names (`max-images = 500`), and a
//! file's values become the flags they stand for, added to the command line only for options
//! that neither a flag nor the environment set. So one parser checks every value, whichever
//! source it came from, and an option added to `serve` is at once in the file, the environment
//! and the reference page ([`crate::config_reference`]). A key that names no option, or a value
//! the option refuses, is reported naming the key (or the variable) before anything starts.

use std::ffi::OsString;
use std::path::Path;

use clap::{Arg, ArgAction, Command};

/// The subcommand whose options a file and the environment may set.
pub const SERVE: &str = "serve";
/// `--config FILE`'s own name (not a key of the file).
pub const CONFIG: &str = "config";
/// `--config`'s variable: not `AIRLIFT_CONFIG`, which names airlift-cli's own file (a machine
/// with both must not hand the CLI's file to the server).
pub const CONFIG_ENV: &str = "AIRLIFTD_CONFIG";

/// `max-images` → `AIRLIFT_MAX_IMAGES`.
pub fn env_name(long: &str) -> String {
    format!("AIRLIFT_{}", long.to_ascii_uppercase().replace('-', "_"))
}

/// The options a file or the environment may set: every long option but `--config` and
/// clap's own (`--help`, `--version`).
pub fn options(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments().filter(|a| {
        a.get_long()
            .is_some_and(|l| !matches!(l, CONFIG | "help" | "version"))
    })
}

/// `serve` with an `AIRLIFT_<OPTION>` variable on every option that has none yet.
pub fn with_env(cmd: Command) -> Command {
    cmd.mut_args(|arg| {
        let Some(long) = arg.get_long() else {
            return arg;
        };
        if arg.get_env().is_some() || matches!(long, "help" | "version") {
            return arg;
        }
        // Built once at start for a few dozen options: leaking the names is what gives clap
        // the `'static` strings it wants without its `string` feature.
        let name: &'static str = Box::leak(env_name(long).into_boxed_str());
        arg.env(name)
    })
}

/// The command line to parse: `args` plus, for `serve`, `token`, `migrate` and
/// `rotate-encryption-key` with `--config FILE` (or `AIRLIFTD_CONFIG`), the flags the file's
/// keys stand for where neither a flag nor the environment set them. Checks the environment's
/// values of the subcommand's options first, so a bad one is named as the variable it is.
pub fn layer(cmd: &Command, args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let Some(sub) = args
        .get(1)
        .and_then(|a| a.to_str())
        .and_then(|name| cmd.find_subcommand(name))
    else {
        return Ok(args);
    };
    let given: Vec<&str> = args[2..].iter().filter_map(|a| a.to_str()).collect();
    check_environment(sub, &given)?;
    if sub.get_arguments().all(|a| a.get_long() != Some(CONFIG)) {
        return Ok(args);
    }
    let file = flag_value(&given, CONFIG)
        .map(OsString::from)
        .or_else(|| std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()));
    let Some(file) = file else {
        return Ok(args);
    };
    let serve = cmd
        .find_subcommand(SERVE)
        .ok_or("airliftd has no serve command")?;
    let settings = read(Path::new(&file), serve)?;
    let mut layered = args.clone();
    for (key, values) in settings {
        let Some(arg) = options(sub).find(|a| a.get_long() == Some(key.as_str())) else {
            continue; // a serve option this subcommand does not take (e.g. `listen` for `token`)
        };
        if on_command_line(&given, &key) || from_environment(arg) {
            continue;
        }
        for value in values {
            layered.push(OsString::from(format!("--{key}")));
            if let Some(v) = value {
                layered.push(OsString::from(v));
            }
        }
    }
    Ok(layered)
}

/// One key of a file: its name and the values of the flags it stands for (`None` for a flag
/// without a value).
pub type Setting = (String, Vec<Option<String>>);

/// A file's settings, each value checked by its option's own parser. Errors name the file and
/// the key.
pub fn read(file: &Path, serve: &Command) -> Result<Vec<Setting>, String> {
    let shown = file.display();
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read the configuration file {shown}: {e}"))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{shown} is not valid TOML: {e}"))?;
    let mut settings = Vec::new();
    for (key, value) in table {
        let arg = options(serve)
            .find(|a| a.get_long() == Some(key.as_str()))
            .ok_or_else(|| unknown_key(&shown.to_string(), &key, serve))?;
        let values =
            flag_values(arg, &value).map_err(|why| format!("{shown}: key `{key}`: {why}"))?;
        for v in values.iter().flatten() {
            check_value(arg, v).map_err(|why| format!("{shown}: key `{key}`: {why}"))?;
        }
        settings.push((key, values));
    }
    Ok(settings)
}

fn unknown_key(file: &str, key: &str, serve: &Command) -> String {
    let dashed = key.replace('_', "-");
    let hint = if dashed != key && options(serve).any(|a| a.get_long() == Some(dashed.as_str())) {
        format!(" (did you mean `{dashed}`?)")
    } else {
        String::new()
    };
    format!(
        "{file}: unknown key `{key}`{hint}; the keys are the long options of `airliftd serve` \
         (`airliftd config reference` lists them)"
    )
}

/// What `value` stands for on the command line: one entry per flag, with its value unless
/// the option is a plain switch.
fn flag_values(arg: &Arg, value: &toml::Value) -> Result<Vec<Option<String>>, String> {
    let action = arg.get_action();
    if !action.takes_values() {
        return match value {
            toml::Value::Boolean(true) => Ok(vec![None]),
            toml::Value::Boolean(false) => Ok(vec![]),
            other => Err(format!("expected true or false, got {other}")),
        };
    }
    let scalar = |v: &toml::Value| -> Result<String, String> {
        match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            toml::Value::Datetime(d) => Ok(d.to_string()),
            toml::Value::Array(_) | toml::Value::Table(_) => {
                Err(format!("expected a single value, got {v}"))
            }
        }
    };
    match value {
        toml::Value::Array(items) if matches!(action, ArgAction::Append) => {
            items.iter().map(|v| scalar(v).map(Some)).collect()
        }
        toml::Value::Array(_) => Err("takes one value, not a list".to_owned()),
        v => Ok(vec![Some(scalar(v)?)]),
    }
}

/// Runs one value through its option's parser; the refusal in the parser's words.
fn check_value(arg: &Arg, value: &str) -> Result<(), String> {
    let long = arg.get_long().unwrap_or_default();
    let probe = Command::new("airliftd")
        .no_binary_name(true)
        .arg(arg.clone().required(false));
    probe
        .try_get_matches_from([format!("--{long}"), value.to_owned()])
        .map(drop)
        .map_err(|e| {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default();
            first.strip_prefix("error: ").unwrap_or(first).to_owned()
        })
}

/// A subcommand's options whose environment variable is set (and not overridden by a flag)
/// must hold a value the option takes.
fn check_environment(sub: &Command, given: &[&str]) -> Result<(), String> {
    for arg in options(sub) {
        let (Some(long), Some(var)) = (arg.get_long(), arg.get_env()) else {
            continue;
        };
        if on_command_line(given, long) {
            continue;
        }
        let Some(value) = std::env::var_os(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        let var = var.to_string_lossy();
        let value = value
            .into_string()
            .map_err(|_| format!("environment variable {var} is not valid UTF-8"))?;
        if arg.get_action().takes_values() {
            check_value(arg, &value).map_err(|why| format!("environment variable {var}: {why}"))?;
        }
    }
    Ok(())
}

fn on_command_line(given: &[&str], long: &str) -> bool {
    let flag = format!("--{long}");
    given
        .iter()
        .take_while(|a| **a != "--")
        .any(|a| *a == flag || a.starts_with(&format!("{flag}=")))
}

fn from_environment(arg: &Arg) -> bool {
    arg.get_env()
        .and_then(std::env::var_os)
        .is_some_and(|v| !v.is_empty())
}

/// `--long VALUE` or `--long=VALUE` on the command line.
fn flag_value<'a>(given: &[&'a str], long: &str) -> Option<&'a str> {
    let flag = format!("--{long}");
    let prefix = format!("{flag}=");
    let mut it = given.iter().take_while(|a| **a != "--");
    while let Some(a) = it.next() {
        if *a == flag {
            return it.next().copied();
        }
        if let Some(v) = a.strip_prefix(&prefix) {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve() -> Command {
        with_env(
            Command::new(SERVE)
                .arg(Arg::new("config").long("config"))
                .arg(
                    Arg::new("max-images")
                        .long("max-images")
                        .value_parser(clap::value_parser!(u64).range(1..)),
                )
                .arg(
                    Arg::new("allow-artifact-host")
                        .long("allow-artifact-host")
                        .action(ArgAction::Append),
                )
                .arg(
                    Arg::new("verbose")
                        .long("verbose")
                        .action(ArgAction::SetTrue),
                ),
        )
    }

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn env_names_follow_the_spec() {
        assert_eq!(env_name("max-images"), "AIRLIFT_MAX_IMAGES");
        let cmd = serve();
        let arg = options(&cmd)
            .find(|a| a.get_long() == Some("max-images"))
            .unwrap();
        assert_eq!(arg.get_env().unwrap(), "AIRLIFT_MAX_IMAGES");
    }

    #[test]
    fn a_file_becomes_flags() {
        let f = write("max-images = 5\nallow-artifact-host = [\"a\", \"b:81\"]\nverbose = true\n");
        let got = read(f.path(), &serve()).unwrap();
        assert_eq!(
            got,
            vec![
                (
                    "allow-artifact-host".to_owned(),
                    vec![Some("a".to_owned()), Some("b:81".to_owned())]
                ),
                ("max-images".to_owned(), vec![Some("5".to_owned())]),
                ("verbose".to_owned(), vec![None]),
            ]
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let e = read(write("max_images = 5\n").path(), &serve()).unwrap_err();
        assert!(
            e.contains("unknown key `max_images`") && e.contains("did you mean `max-images`"),
            "{e}"
        );
        let e = read(write("max-images = 0\n").path(), &serve()).unwrap_err();
        assert!(e.contains("key `max-images`") && e.contains("0"), "{e}");
        let e = read(write("max-images = [1, 2]\n").path(), &serve()).unwrap_err();
        assert!(
            e.contains("key `max-images`") && e.contains("not a list"),
            "{e}"
        );
        let e = read(write("verbose = \"yes\"\n").path(), &serve()).unwrap_err();
        assert!(
            e.contains("key `verbose`") && e.contains("true or false"),
            "{e}"
        );
        let e = read(write("max-images = \n").path(), &serve()).unwrap_err();
        assert!(e.contains("not valid TOML"), "{e}");
        let e = read(write("config = \"x\"\n").path(), &serve()).unwrap_err();
        assert!(e.contains("unknown key `config`"), "{e}");
    }

    #[test]
    fn flags_are_found_in_both_spellings() {
        let given = ["--config", "a.toml", "--max-images=3", "--", "--verbose"];
        assert_eq!(flag_value(&given, "config"), Some("a.toml"));
        assert!(on_command_line(&given, "max-images"));
        assert!(!on_command_line(&given, "verbose"));
    }
}
