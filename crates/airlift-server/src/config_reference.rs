//! The reference page of every `airliftd serve` option (docs/operations/configuration.md),
//! generated from the command line itself, so it cannot drift: a test compares the page with
//! [`markdown`], and `airliftd config reference` prints it.

use std::fmt::Write as _;

use clap::Command;

use crate::config_file::{env_name, options};

const INTRO: &str = "\
# airliftd configuration reference

Generated from the code by `airliftd config reference` (a test keeps this page current).

Every option of `airliftd serve` can be given three ways; a flag beats the environment, which
beats the file:

- a flag: `--max-images 500`;
- an environment variable `AIRLIFT_<OPTION>` (upper case, `-` becomes `_`):
  `AIRLIFT_MAX_IMAGES=500`;
- a key of the TOML file named by `--config FILE` (or `AIRLIFTD_CONFIG`; `AIRLIFT_CONFIG` is airlift-cli's), spelled like the
  flag without its dashes: `max-images = 500`. An option that may be repeated takes a list:
  `allow-artifact-host = [\"artifacts.example.com\", \"10.0.0.5:9000\"]`; a switch takes
  `true` or `false`.

An unknown key, or a value an option refuses (from any of the three), stops the server before
it starts, with a message naming the key or the variable, and exit code 2.
`airliftd config check FILE` checks a file the same way without starting anything.
`airliftd token`, `token-list`, `token-revoke`, `migrate` and `rotate-encryption-key` read the
same file for the options they share with `serve` (`data`, `database`, `encryption-key-file`)
and ignore its other keys.

```toml
# /etc/airlift/airliftd.toml
data = \"/var/lib/airlift\"
listen = \"0.0.0.0:8080\"
public-url = \"https://ota.example.com\"
database = \"postgres://airlift@db.example.com:5432/airlift\"
max-images = 500
```

## Options
";

/// The page, from `serve`'s arguments in their declared order.
pub fn markdown(serve: &Command) -> String {
    let mut page = INTRO.to_owned();
    for arg in options(serve) {
        let long = arg.get_long().unwrap_or_default();
        let help = arg
            .get_long_help()
            .or_else(|| arg.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        let value = arg
            .get_value_names()
            .and_then(|n| n.first())
            .map(|n| format!(" <{n}>"))
            .filter(|_| arg.get_action().takes_values())
            .unwrap_or_default();
        let env = arg
            .get_env()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_else(|| env_name(long));
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|d| d.to_string_lossy().into_owned())
            .collect();
        let default = if arg.is_required_set() {
            "required".to_owned()
        } else if defaults.is_empty() {
            "none".to_owned()
        } else {
            format!("`{}`", defaults.join(", "))
        };
        let repeat = if matches!(arg.get_action(), clap::ArgAction::Append) {
            " (repeatable; a list in the file)"
        } else {
            ""
        };
        let _ = write!(
            page,
            "\n### `{long}`\n\n{}\n\n- flag: `--{long}{value}`{repeat}\n- environment: `{env}`\n- default: {default}\n",
            help.trim()
        );
    }
    page
}
