//! The UI's command functions, generated from the commands themselves: every
//! `#[tauri::command]` under `src-tauri/commands/` becomes a typed function in
//! `ui/src/bindings/commands.ts` (its name, argument names and types, result type; a `Channel<T>`
//! argument becomes a callback), so no command or argument name is a hand-written string in
//! the UI. `bindings.rs` writes and checks the file like the DTOs'.
//!
//! The signatures are read as text: commands take DTOs, strings, numbers, booleans, options,
//! vectors and channels, which is all this maps; anything else fails the test, naming it.

use std::fmt::Write as _;
use std::path::Path;

/// One command as the UI sees it.
#[derive(Debug, PartialEq)]
pub struct Command {
    pub name: String,
    /// (camelCase name, Rust type)
    pub args: Vec<(String, String)>,
    pub result: String,
}

/// Every command of the files under `dir`, in file then source order.
pub fn read_commands(dir: &Path) -> Vec<Command> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read src-tauri/commands")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut commands = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a command file");
        let mut at = 0;
        while let Some(found) = text[at..].find("#[tauri::command]") {
            let start = at + found;
            commands.push(parse(&text[start..]));
            at = start + 1;
        }
    }
    commands
}

/// Parses the function after a `#[tauri::command]` line.
fn parse(text: &str) -> Command {
    let fn_at = text.find("fn ").expect("a command is a function");
    let sig = &text[fn_at + 3..];
    let open = sig.find('(').expect("an argument list");
    let name = sig[..open].trim().to_owned();
    let close = matching(sig, open);
    let params = &sig[open + 1..close];
    let tail = &sig[close + 1..];
    let body = tail.find('{').expect("a body");
    let result = tail[..body]
        .trim()
        .strip_prefix("->")
        .map_or("()".to_owned(), |r| r.trim().to_owned());
    let args = split_top(params)
        .into_iter()
        .filter_map(|p| {
            let (n, ty) = p.split_once(':')?;
            let ty = ty.trim().to_owned();
            let ignored = [
                "State<",
                "AppHandle",
                "tauri::AppHandle",
                "tauri::Window",
                "Window",
            ];
            if ignored.iter().any(|i| ty.starts_with(i)) {
                return None;
            }
            let n = n.trim().trim_start_matches("mut ").trim();
            Some((camel(n), ty))
        })
        .collect();
    Command { name, args, result }
}

/// The index of the `)` closing the `(` at `open`.
fn matching(s: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices().skip(open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced argument list")
}

/// Splits on commas outside `<>` and `()`.
fn split_top(s: &str) -> Vec<String> {
    let (mut parts, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for c in s.chars() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Tauri's default argument naming: snake_case in Rust, camelCase over IPC.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `ty` without its path (`tauri::ipc::Channel<T>` → `Channel<T>`).
fn unqualified(ty: &str) -> &str {
    let ty = ty.trim();
    let head = ty.find('<').unwrap_or(ty.len());
    ty[..head].rfind("::").map_or(ty, |at| &ty[at + 2..])
}

/// The TypeScript of a Rust type; DTO names are noted in `imports`.
fn ts(ty: &str, imports: &mut std::collections::BTreeSet<String>) -> String {
    let ty = unqualified(ty);
    let inner = |prefix: &str| {
        ty.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix('>'))
            .map(str::to_owned)
    };
    if let Some(ok) = inner("Result<") {
        let parts = split_top(&ok);
        return ts(&parts[0], imports);
    }
    if let Some(t) = inner("Option<") {
        return format!("{} | null", ts(&t, imports));
    }
    if let Some(t) = inner("Vec<") {
        return format!("Array<{}>", ts(&t, imports));
    }
    match ty {
        "()" => "null".to_owned(),
        "String" | "&str" => "string".to_owned(),
        "bool" => "boolean".to_owned(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" | "f32" | "f64" => {
            "number".to_owned()
        }
        name => {
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric()) && !name.is_empty(),
                "a command uses {ty}, which commands_ts.rs cannot map to TypeScript"
            );
            imports.insert(name.to_owned());
            name.to_owned()
        }
    }
}

/// `ui/src/bindings/commands.ts` for `commands`.
pub fn render(commands: &[Command]) -> String {
    let mut imports = std::collections::BTreeSet::new();
    let mut body = String::new();
    for c in commands {
        let mut params = Vec::new();
        let mut fields = Vec::new();
        for (arg, ty) in &c.args {
            if let Some(t) = unqualified(ty)
                .strip_prefix("Channel<")
                .and_then(|r| r.strip_suffix('>'))
            {
                params.push(format!("{arg}: (message: {}) => void", ts(t, &mut imports)));
                fields.push(format!("{arg}: channel({arg})"));
            } else {
                params.push(format!("{arg}: {}", ts(ty, &mut imports)));
                fields.push(arg.clone());
            }
        }
        let result = ts(&c.result, &mut imports);
        let args = if fields.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", fields.join(", "))
        };
        let _ = writeln!(
            body,
            "export const {} = ({}) =>\n  call<{result}>(\"{}\"{args});",
            camel(&c.name),
            params.join(", "),
            c.name
        );
    }
    let mut out = String::from(
        "// Generated from src-tauri/commands/ by src-tauri/commands_ts.rs (the bindings test). Do \
         not edit this file manually.\n\nimport { call, channel } from \"../ipcCall\";\n",
    );
    for name in &imports {
        let _ = writeln!(out, "import type {{ {name} }} from \"./{name}\";");
    }
    out.push('\n');
    out.push_str(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_arguments_channels_and_results() {
        let text = "#[tauri::command]\npub async fn hash_file(\n    path: String,\n    \
                    on_progress: Channel<HashProgress>,\n    state: State<'_, AppState>,\n) -> \
                    Result<Option<Vec<HashedFile>>, DeskError> {\n}";
        let c = parse(text);
        assert_eq!(c.name, "hash_file");
        assert_eq!(
            c.args,
            vec![
                ("path".to_owned(), "String".to_owned()),
                ("onProgress".to_owned(), "Channel<HashProgress>".to_owned())
            ]
        );
        let ts = render(&[c]);
        assert!(ts.contains("import type { HashProgress } from \"./HashProgress\";"));
        assert!(ts.contains(
            "export const hashFile = (path: string, onProgress: (message: HashProgress) => void) =>\n  \
             call<Array<HashedFile> | null>(\"hash_file\", { path, onProgress: channel(onProgress) });"
        ), "{ts}");
    }
}
