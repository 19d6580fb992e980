//! Finding symbols by their text: which strings of the store contain a piece of text,
//! ignoring case, so that a search reads the facts that hold them (by lookup) rather than
//! every fact.

use super::Store;
use crate::error::ReadError;
use engram_core::Value;
use engram_core::internal::value::Sym;

impl Store {
    /// Every symbol of the store that contains `text`, ignoring case (as
    /// `s.to_lowercase().contains(&text.to_lowercase())` decides), in id order: those holding
    /// every trigram of the text (from the trigrams kept beside the string runs), each then
    /// tested; a text of fewer than three bytes tests every string.
    #[doc(hidden)]
    pub fn symbols_containing(&mut self, text: &str) -> Result<Vec<Value>, ReadError> {
        let needle = text.to_lowercase();
        self.view_with(&[])?;
        let interner = self.cache.view.as_ref().expect("made above").interner();
        let storage = &*self.files.storage;
        let strings = &mut self.files.strings;
        let committed = strings.committed();
        let candidates = strings.holding_grams_of(storage, &needle, interner)?;
        let ids: Vec<u32> = match candidates {
            // Strings interned since the last commit have no trigrams yet.
            Some(mut ids) => {
                ids.extend(committed..interner.len() as u32);
                ids
            }
            None => (0..interner.len() as u32).collect(),
        };
        Ok((ids.into_iter())
            .map(|id| interner.resolve(Sym::from_id(id)))
            .filter(|s| contains_folded(s, &needle))
            .map(|s| Value::Symbol(s.to_string()))
            .collect())
    }
}

impl Store {
    /// For each of `stems` (stems as [`crate::terms::words`] makes them): the symbols whose
    /// text holds it, with how often, ascending by id (encoded). Read from the word postings
    /// kept beside the string runs: the cost is the postings', not the strings'.
    #[doc(hidden)]
    pub fn symbols_with_stems(
        &mut self,
        stems: &[String],
    ) -> Result<Vec<Vec<(u64, u32)>>, ReadError> {
        self.view_with(&[])?;
        let interner = self.cache.view.as_ref().expect("made above").interner();
        let strings = &mut self.files.strings;
        let mut out = Vec::with_capacity(stems.len());
        for stem in stems {
            let hits = strings.postings(stem, interner)?;
            out.push(hits.into_iter().map(|(id, n)| (u64::from(id), n)).collect());
        }
        Ok(out)
    }

    /// The number of words (as [`crate::terms::words`] counts them) of each symbol (encoded).
    #[doc(hidden)]
    pub fn word_counts(&mut self, symbols: &[u64]) -> Result<Vec<u32>, ReadError> {
        self.view_with(&[])?;
        let interner = self.cache.view.as_ref().expect("made above").interner();
        let ids: Vec<u32> = symbols.iter().map(|&s| s as u32).collect();
        Ok(self.files.strings.words_of(&ids, interner)?)
    }
}

/// Whether `haystack` lower-cased contains `needle` (lower case already): without
/// allocating when both are ASCII.
fn contains_folded(haystack: &str, needle: &str) -> bool {
    if !(haystack.is_ascii() && needle.is_ascii()) {
        return haystack.to_lowercase().contains(needle);
    }
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return true;
    };
    if h.len() < n.len() {
        return false;
    }
    let last = h.len() - n.len();
    let mut at = 0;
    while let Some(p) = memchr::memchr2(first, first.to_ascii_uppercase(), &h[at..=last]) {
        let start = at + p;
        if h[start..start + n.len()].eq_ignore_ascii_case(n) {
            return true;
        }
        at = start + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::contains_folded;
    use proptest::prelude::*;

    proptest! {
        /// The ASCII path decides as lower-casing both and searching does.
        #[test]
        fn folded_search_is_lowercase_contains(h in "[a-cA-CK\u{212A}é ]{0,12}", n in "[a-cA-CK\u{212A}É]{0,3}") {
            let needle = n.to_lowercase();
            prop_assert_eq!(contains_folded(&h, &needle), h.to_lowercase().contains(&needle));
        }
    }
}
