//! The LUBM workload's relations as the peers read and write them: the inputs and outputs of
//! Soufflé's `example/lubm` program (`../shared/conformance/souffle/example/lubm/lubm.dl`),
//! by the names that program gives them.

use super::{Symbols, read};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// The program's one-column inputs.
pub const UNARY_INPUTS: [&str; 14] = [
    "University",
    "Course",
    "AssociateProfessor",
    "AssistantProfessor",
    "Lecturer",
    "GraduateStudent",
    "ResearchAssistant",
    "GraduateCourse",
    "UndergraduateStudent",
    "ResearchGroup",
    "Publication",
    "TeachingAssistant",
    "FullProfessor",
    "Department",
];

/// The program's two-column inputs.
pub const BINARY_INPUTS: [&str; 16] = [
    "teachingAssistantOf",
    "headOf",
    "teacherOf",
    "publicationAuthor",
    "doctoralDegreeFrom",
    "undergraduateDegreeFrom",
    "mastersDegreeFrom",
    "subOrganizationOf",
    "takesCourse",
    "worksFor",
    "memberOf",
    "advisor",
    "emailAddress",
    "telephone",
    "name",
    "researchInterest",
];

/// The program's outputs, in the order the peers return them.
pub const OUTPUTS: [&str; 20] = [
    "University",
    "Person",
    "Employee",
    "Faculty",
    "Professor",
    "Course",
    "Organization",
    "Chair",
    "Work",
    "Lecturer",
    "Student",
    "ResearchGroup",
    "Publication",
    "TeachingAssistant",
    "hasAlumnus",
    "degreeFrom",
    "member",
    "subOrganizationOf",
    "worksFor",
    "memberOf",
];

/// The input facts, as symbol ids, by relation name.
pub struct Input {
    unary: HashMap<&'static str, Vec<u32>>,
    binary: HashMap<&'static str, Vec<(u32, u32)>>,
}

impl Input {
    /// Takes the rows of the one-column input `name`.
    pub fn unary(&mut self, name: &str) -> Vec<u32> {
        self.unary.remove(name).expect("a unary input of LUBM")
    }

    /// Takes the rows of the two-column input `name`.
    pub fn binary(&mut self, name: &str) -> Vec<(u32, u32)> {
        self.binary.remove(name).expect("a binary input of LUBM")
    }
}

/// The texts of every input file of `dir`, in the order of [`UNARY_INPUTS`] then
/// [`BINARY_INPUTS`].
pub fn read_texts(dir: &Path) -> anyhow::Result<Vec<String>> {
    UNARY_INPUTS
        .iter()
        .chain(&BINARY_INPUTS)
        .map(|name| read(dir, &format!("{name}.facts")))
        .collect()
}

/// The inputs of [`read_texts`]'s texts, their symbols interned in `sym`.
pub fn parse<'t>(texts: &'t [String], sym: &mut Symbols<'t>) -> Input {
    let (unary, binary) = texts.split_at(UNARY_INPUTS.len());
    Input {
        unary: UNARY_INPUTS
            .iter()
            .zip(unary)
            .map(|(&name, text)| (name, sym.singles(text)))
            .collect(),
        binary: BINARY_INPUTS
            .iter()
            .zip(binary)
            .map(|(&name, text)| (name, sym.pairs(text)))
            .collect(),
    }
}

/// One output relation's rows.
pub enum Rows {
    /// A one-column relation.
    Unary(Vec<u32>),
    /// A two-column relation.
    Binary(Vec<(u32, u32)>),
}

/// Writes each output, in the order of [`OUTPUTS`], to `dir/<name>.csv`.
pub fn write(dir: &Path, outputs: Vec<Rows>, sym: &Symbols<'_>) -> anyhow::Result<()> {
    anyhow::ensure!(outputs.len() == OUTPUTS.len(), "LUBM has 20 outputs");
    for (name, rows) in OUTPUTS.iter().zip(outputs) {
        match rows {
            Rows::Binary(pairs) => super::write_pairs(dir, name, pairs, sym)?,
            Rows::Unary(xs) => {
                let file = std::fs::File::create(dir.join(format!("{name}.csv")))?;
                let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
                for x in xs {
                    w.write_all(sym.name(x).as_bytes())?;
                    w.write_all(b"\n")?;
                }
                w.flush()?;
            }
        }
    }
    Ok(())
}
