//! English words whose forms a stemmer cannot join: the irregular verbs ("went" is a form
//! of "go", "spent" of "spend"), so that a question in one tense finds a memory in another
//! ("when did she go" finds "I went"). A question's word of one of these groups is also looked
//! for in the group's other forms. General English, not drawn from any evaluation set.

/// Each group: the forms of one verb (base, past, past participle, and others a stemmer
/// leaves apart).
const GROUPS: &[&[&str]] = &[
    &["arise", "arose", "arisen"],
    &["awake", "awoke", "awoken"],
    &["bear", "bore", "born", "borne"],
    &["beat", "beaten"],
    &["become", "became"],
    &["begin", "began", "begun"],
    &["bend", "bent"],
    &["bet", "betting"],
    &["bite", "bit", "bitten"],
    &["bleed", "bled"],
    &["blow", "blew", "blown"],
    &["break", "broke", "broken"],
    &["breed", "bred"],
    &["bring", "brought"],
    &["build", "built"],
    &["burn", "burnt"],
    &["buy", "bought"],
    &["catch", "caught"],
    &["choose", "chose", "chosen"],
    &["cling", "clung"],
    &["come", "came"],
    &["creep", "crept"],
    &["deal", "dealt"],
    &["dig", "dug"],
    &["draw", "drew", "drawn"],
    &["dream", "dreamt"],
    &["drink", "drank", "drunk"],
    &["drive", "drove", "driven"],
    &["eat", "ate", "eaten"],
    &["fall", "fell", "fallen"],
    &["feed", "fed"],
    &["feel", "felt"],
    &["fight", "fought"],
    &["find", "found"],
    &["flee", "fled"],
    &["fly", "flew", "flown"],
    &["forbid", "forbade", "forbidden"],
    &["forget", "forgot", "forgotten"],
    &["forgive", "forgave", "forgiven"],
    &["freeze", "froze", "frozen"],
    &["get", "got", "gotten"],
    &["give", "gave", "given"],
    &["go", "went", "gone", "goes"],
    &["grind", "ground"],
    &["grow", "grew", "grown"],
    &["hang", "hung"],
    &["hear", "heard"],
    &["hide", "hid", "hidden"],
    &["hold", "held"],
    &["keep", "kept"],
    &["kneel", "knelt"],
    &["know", "knew", "known"],
    &["lay", "laid"],
    &["lead", "led"],
    &["lean", "leant"],
    &["leap", "leapt"],
    &["learn", "learnt"],
    &["leave", "left"],
    &["lend", "lent"],
    &["lie", "lay", "lain"],
    &["light", "lit"],
    &["lose", "lost"],
    &["make", "made"],
    &["mean", "meant"],
    &["meet", "met"],
    &["pay", "paid"],
    &["prove", "proven"],
    &["ride", "rode", "ridden"],
    &["ring", "rang", "rung"],
    &["rise", "rose", "risen"],
    &["run", "ran"],
    &["say", "said"],
    &["see", "saw", "seen"],
    &["seek", "sought"],
    &["sell", "sold"],
    &["send", "sent"],
    &["shake", "shook", "shaken"],
    &["shine", "shone"],
    &["shoot", "shot"],
    &["show", "shown"],
    &["shrink", "shrank", "shrunk"],
    &["sing", "sang", "sung"],
    &["sink", "sank", "sunk"],
    &["sit", "sat"],
    &["sleep", "slept"],
    &["slide", "slid"],
    &["speak", "spoke", "spoken"],
    &["speed", "sped"],
    &["spend", "spent"],
    &["spin", "spun"],
    &["spit", "spat"],
    &["spring", "sprang", "sprung"],
    &["stand", "stood"],
    &["steal", "stole", "stolen"],
    &["stick", "stuck"],
    &["sting", "stung"],
    &["stink", "stank", "stunk"],
    &["strike", "struck"],
    &["swear", "swore", "sworn"],
    &["sweep", "swept"],
    &["swim", "swam", "swum"],
    &["swing", "swung"],
    &["take", "took", "taken"],
    &["teach", "taught"],
    &["tear", "tore", "torn"],
    &["tell", "told"],
    &["think", "thought"],
    &["throw", "threw", "thrown"],
    &["understand", "understood"],
    &["wake", "woke", "woken"],
    &["wear", "wore", "worn"],
    &["weave", "wove", "woven"],
    &["weep", "wept"],
    &["win", "won"],
    &["wind", "wound"],
    &["write", "wrote", "written"],
    &["child", "children"],
    &["person", "people"],
    &["man", "men"],
    &["woman", "women"],
    &["mouse", "mice"],
    &["foot", "feet"],
    &["tooth", "teeth"],
];

/// The other forms of `word` (lower case), if it is a form of one of the groups.
pub(crate) fn other_forms(word: &str) -> impl Iterator<Item = &'static str> + '_ {
    GROUPS
        .iter()
        .filter(move |g| g.contains(&word))
        .flat_map(move |g| g.iter().copied().filter(move |f| *f != word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_finds_the_others_of_its_group() {
        let went: Vec<&str> = other_forms("went").collect();
        assert_eq!(went, ["go", "gone", "goes"]);
        // "lay" is a form of two verbs: both groups.
        assert!(other_forms("lay").any(|f| f == "laid") && other_forms("lay").any(|f| f == "lie"));
        assert_eq!(other_forms("retry").count(), 0);
    }
}
