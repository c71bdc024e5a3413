//! Error collection and the wording shared by every stage's messages.

use proc_macro2::Span;

/// Collects every meaning error of a spec so the user sees them all at once.
#[derive(Default)]
pub struct Errors {
    list: Vec<syn::Error>,
}

impl Errors {
    /// Records `message` at `span`.
    pub fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        self.list.push(syn::Error::new(span, message));
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// `Ok(value)` if nothing was recorded, else every error combined into one.
    pub fn finish<T>(self, value: T) -> syn::Result<T> {
        let mut errors = self.list.into_iter();
        match errors.next() {
            None => Ok(value),
            Some(mut first) => {
                first.extend(errors);
                Err(first)
            }
        }
    }
}

/// The closest of `candidates` to the misspelled `word`, if one is close enough that
/// suggesting it helps (one edit for short words, about a third of the length for
/// longer ones, counting a swap of neighbours as one edit).
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|candidate| (strsim::osa_distance(&word, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The tail of an "unknown X" message: a suggestion when one is close, else the list.
pub fn expected(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(best) => format!("did you mean '{best}'?"),
        None => format!("expected one of: {}", candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTS: &[&str] = &["identity", "linear", "relu", "sigmoid", "tanh"];

    #[test]
    fn suggests_near_misses() {
        assert_eq!(closest("rellu", ACTS), Some("relu"));
        assert_eq!(closest("sigmod", ACTS), Some("sigmoid"));
        assert_eq!(closest("ReLU", ACTS), Some("relu"));
        assert_eq!(closest("tahn", ACTS), Some("tanh"));
        assert_eq!(closest("mes", &["mse", "half_sse"]), Some("mse"));
    }

    #[test]
    fn does_not_suggest_far_words() {
        assert_eq!(closest("softmax", ACTS), None);
        assert_eq!(closest("x", ACTS), None);
        assert_eq!(
            expected("gelu2", ACTS),
            "expected one of: identity, linear, relu, sigmoid, tanh"
        );
    }

    #[test]
    fn collects_all_errors() {
        let mut errors = Errors::default();
        assert!(Errors::default().finish(()).is_ok());
        errors.push(Span::call_site(), "first");
        errors.push(Span::call_site(), "second");
        let combined = errors.finish(()).unwrap_err();
        let messages: Vec<String> = combined.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages, ["first", "second"]);
    }
}
