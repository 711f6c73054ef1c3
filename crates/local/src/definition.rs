//! Loading the state machine definition: the ASL file (or the copy built into the binary),
//! with its `${...}` placeholders filled the way SAM's `DefinitionSubstitutions` fills them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The repository's `statemachine/media-pipeline.asl.json`, built in.
pub const EMBEDDED_DEFINITION: &str = include_str!("../../../statemachine/media-pipeline.asl.json");

/// The conventional path of the definition, relative to the working directory.
pub const DEFAULT_DEFINITION_PATH: &str = "statemachine/media-pipeline.asl.json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinitionSource {
    File(PathBuf),
    Embedded,
}

impl std::fmt::Display for DefinitionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DefinitionSource::File(p) => write!(f, "{}", p.display()),
            DefinitionSource::Embedded => f.write_str("built-in media-pipeline.asl.json"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DefinitionLoadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the definition uses ${{{0}}} but nothing substitutes it (known: {1})")]
    UnknownPlaceholder(String, String),
    #[error("unterminated placeholder at byte {0}")]
    Unterminated(usize),
}

/// The definition text: the given path, else `./statemachine/media-pipeline.asl.json` when it
/// exists, else the built-in copy.
pub fn load_definition(
    path: Option<&Path>,
) -> Result<(String, DefinitionSource), DefinitionLoadError> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|source| DefinitionLoadError::Read {
            path: p.to_path_buf(),
            source,
        })
    };
    match path {
        Some(p) => Ok((read(p)?, DefinitionSource::File(p.to_path_buf()))),
        None => {
            let p = Path::new(DEFAULT_DEFINITION_PATH);
            if p.is_file() {
                Ok((read(p)?, DefinitionSource::File(p.to_path_buf())))
            } else {
                Ok((EMBEDDED_DEFINITION.to_owned(), DefinitionSource::Embedded))
            }
        }
    }
}

/// Replace every `${Name}` by `values[Name]`; an unknown name is an error, as in SAM.
pub fn substitute_placeholders(
    text: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, DefinitionLoadError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or(DefinitionLoadError::Unterminated(offset + start))?;
        let name = &after[..end];
        let value = values.get(name).ok_or_else(|| {
            DefinitionLoadError::UnknownPlaceholder(
                name.to_owned(),
                values.keys().cloned().collect::<Vec<_>>().join(", "),
            )
        })?;
        out.push_str(value);
        let consumed = start + 2 + end + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_refused() {
        let mut v = BTreeMap::new();
        v.insert("A".to_owned(), "arn:a".to_owned());
        assert_eq!(
            substitute_placeholders(r#"{"x":"${A}","y":"${A}z"}"#, &v).unwrap(),
            r#"{"x":"arn:a","y":"arn:az"}"#
        );
        assert!(matches!(
            substitute_placeholders("${B}", &v),
            Err(DefinitionLoadError::UnknownPlaceholder(n, _)) if n == "B"
        ));
        assert!(matches!(
            substitute_placeholders("${A", &v),
            Err(DefinitionLoadError::Unterminated(0))
        ));
    }

    #[test]
    fn the_embedded_definition_names_every_task() {
        for t in pipeline::Task::ALL {
            assert!(
                EMBEDDED_DEFINITION.contains(&format!("${{{}}}", t.arn_placeholder())),
                "{t:?}"
            );
        }
    }
}
