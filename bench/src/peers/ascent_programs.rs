//! The workloads in Ascent.

use super::{INDEPENDENT_C, INDEPENDENT_D, lubm};
use ascent::ascent;

ascent! {
    struct Tc;
    relation edge(u32, u32);
    relation path(u32, u32);
    path(x, y) <-- edge(x, y);
    path(x, z) <-- edge(x, y), path(y, z);
}

ascent! {
    struct Sg;
    relation parent(u32, u32);
    relation sg(u32, u32);
    sg(x, y) <-- parent(x, p), parent(y, p), if x != y;
    sg(x, y) <-- parent(x, a), sg(a, b), parent(y, b);
}

ascent! {
    struct Independent;
    relation a(i64);
    relation b(i64);
    relation c(i64);
    relation d(i64);
    relation limit(i64);
    a(x) <-- b(x), c(y), d(y);
    b(x + 1) <-- a(x), limit(n), if x < n;
}

/// Transitive closure: the `path` rows.
pub fn tc(edges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let mut p = Tc {
        edge: edges,
        ..Default::default()
    };
    p.run();
    p.path
}

/// Same generation: the `sg` rows.
pub fn sg(parent: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let mut p = Sg {
        parent,
        ..Default::default()
    };
    p.run();
    p.sg
}

/// The independent-body workload: the `a` rows.
pub fn independent(n: i64) -> Vec<i64> {
    let mut p = Independent {
        b: vec![(0,)],
        c: INDEPENDENT_C.map(|y| (y,)).collect(),
        d: INDEPENDENT_D.map(|y| (y,)).collect(),
        limit: vec![(n,)],
        ..Default::default()
    };
    p.run();
    p.a.into_iter().map(|(x,)| x).collect()
}

ascent! {
    struct El;
    relation concept(u32);
    relation told(u32, u32);
    relation conj(u32, u32, u32);
    relation exr(u32, u32, u32);
    relation exl(u32, u32, u32);
    relation subrole(u32, u32);
    relation chain(u32, u32, u32);
    relation role(u32);
    relation subroles(u32, u32);
    relation sub(u32, u32);
    relation rel(u32, u32, u32);
    subroles(r, r) <-- role(r);
    subroles(r, t) <-- subrole(r, s), subroles(s, t);
    sub(x, x) <-- concept(x);
    sub(x, b) <-- sub(x, a), told(a, b);
    sub(x, b) <-- sub(x, a1), sub(x, a2), conj(a1, a2, b);
    rel(x, r, b) <-- sub(x, a), exr(a, r, b);
    sub(x, b) <-- rel(x, r, y), sub(y, a), subroles(r, s), exl(s, a, b);
    rel(x, t, z) <-- rel(x, r1, y), rel(y, r2, z), subroles(r1, s1), subroles(r2, s2), chain(s1, s2, t);
}

/// The EL classification: the `sub` rows.
pub fn el(input: super::El) -> Vec<(u32, u32)> {
    let mut p = El {
        concept: input.concept.into_iter().map(|c| (c,)).collect(),
        told: input.told,
        conj: input.conj,
        exr: input.exr,
        exl: input.exl,
        subrole: input.subrole,
        chain: input.chain,
        role: input.role.into_iter().map(|r| (r,)).collect(),
        ..Default::default()
    };
    p.run();
    p.sub
}

ascent! {
    /// LUBM's ontology rules (Soufflé's `example/lubm`); `_in` relations are the input
    /// files of relations the rules also derive or the program writes.
    struct Lubm;
    relation university_in(u32);
    relation university(u32);
    relation person(u32);
    relation employee(u32);
    relation faculty(u32);
    relation professor(u32);
    relation course_in(u32);
    relation course(u32);
    relation associate_professor(u32);
    relation assistant_professor(u32);
    relation organization(u32);
    relation chair(u32);
    relation work(u32);
    relation lecturer_in(u32);
    relation lecturer(u32);
    relation student(u32);
    relation graduate_student(u32);
    relation research_assistant(u32);
    relation graduate_course(u32);
    relation undergraduate_student(u32);
    relation research_group_in(u32);
    relation research_group(u32);
    relation publication_in(u32);
    relation publication(u32);
    relation teaching_assistant_in(u32);
    relation teaching_assistant(u32);
    relation full_professor(u32);
    relation department(u32);
    relation has_alumnus(u32, u32);
    relation degree_from(u32, u32);
    relation member(u32, u32);
    relation teaching_assistant_of(u32, u32);
    relation head_of(u32, u32);
    relation teacher_of(u32, u32);
    relation publication_author(u32, u32);
    relation doctoral_degree_from(u32, u32);
    relation undergraduate_degree_from(u32, u32);
    relation masters_degree_from(u32, u32);
    relation sub_organization_of_in(u32, u32);
    relation sub_organization_of(u32, u32);
    relation takes_course(u32, u32);
    relation works_for_in(u32, u32);
    relation works_for(u32, u32);
    relation member_of_in(u32, u32);
    relation member_of(u32, u32);
    relation advisor(u32, u32);
    relation email_address(u32, u32);
    relation telephone(u32, u32);
    university(x) <-- university_in(x);
    course(x) <-- course_in(x);
    lecturer(x) <-- lecturer_in(x);
    research_group(x) <-- research_group_in(x);
    publication(x) <-- publication_in(x);
    teaching_assistant(x) <-- teaching_assistant_in(x);
    sub_organization_of(x, y) <-- sub_organization_of_in(x, y);
    works_for(x, y) <-- works_for_in(x, y);
    member_of(x, y) <-- member_of_in(x, y);
    university(y) <-- masters_degree_from(_, y);
    degree_from(x, y) <-- has_alumnus(y, x);
    has_alumnus(x, y) <-- degree_from(y, x);
    employee(x) <-- faculty(x);
    faculty(x) <-- professor(x);
    professor(x) <-- associate_professor(x);
    person(y) <-- member(_, y);
    professor(x) <-- assistant_professor(x);
    professor(x) <-- chair(x);
    works_for(x, y) <-- head_of(x, y);
    person(x) <-- degree_from(x, _);
    university(y) <-- degree_from(_, y);
    person(y) <-- has_alumnus(_, y);
    teaching_assistant(x) <-- person(x), teaching_assistant_of(x, y), course(y);
    chair(x) <-- person(x), head_of(x, y), department(y);
    member_of(x, y) <-- member(y, x);
    member(x, y) <-- member_of(y, x);
    course(y) <-- teacher_of(_, y);
    university(x) <-- has_alumnus(x, _);
    person(x) <-- telephone(x, _);
    organization(y) <-- sub_organization_of(_, y);
    member_of(x, y) <-- works_for(x, y);
    person(x) <-- employee(x);
    person(x) <-- advisor(x, _);
    organization(x) <-- member(x, _);
    organization(x) <-- department(x);
    faculty(x) <-- lecturer(x);
    person(y) <-- publication_author(_, y);
    professor(y) <-- advisor(_, y);
    work(x) <-- course(x);
    professor(x) <-- full_professor(x);
    degree_from(x, y) <-- doctoral_degree_from(x, y);
    teaching_assistant(x) <-- teaching_assistant_of(x, _);
    person(x) <-- undergraduate_degree_from(x, _);
    organization(x) <-- university(x);
    person(x) <-- doctoral_degree_from(x, _);
    university(y) <-- doctoral_degree_from(_, y);
    course(y) <-- teaching_assistant_of(_, y);
    university(y) <-- undergraduate_degree_from(_, y);
    degree_from(x, y) <-- masters_degree_from(x, y);
    person(x) <-- graduate_student(x);
    person(x) <-- research_assistant(x);
    student(x) <-- undergraduate_student(x);
    degree_from(x, y) <-- undergraduate_degree_from(x, y);
    publication(x) <-- publication_author(x, _);
    person(x) <-- masters_degree_from(x, _);
    organization(x) <-- research_group(x);
    faculty(x) <-- teacher_of(x, _);
    person(x) <-- chair(x);
    employee(x) <-- person(x), works_for(x, y), organization(y);
    course(x) <-- graduate_course(x);
    student(x) <-- person(x), takes_course(x, y), course(y);
    person(x) <-- teaching_assistant(x);
    organization(x) <-- sub_organization_of(x, _);
    person(x) <-- student(x);
    person(x) <-- email_address(x, _);
    sub_organization_of(x, z) <-- sub_organization_of(x, y), sub_organization_of(y, z);
}

/// The LUBM materialisation: the outputs in the order of [`lubm::OUTPUTS`].
pub fn lubm(mut i: lubm::Input) -> Vec<lubm::Rows> {
    let one = |v: Vec<u32>| v.into_iter().map(|x| (x,)).collect::<Vec<_>>();
    let mut p = Lubm {
        university_in: one(i.unary("University")),
        course_in: one(i.unary("Course")),
        associate_professor: one(i.unary("AssociateProfessor")),
        assistant_professor: one(i.unary("AssistantProfessor")),
        lecturer_in: one(i.unary("Lecturer")),
        graduate_student: one(i.unary("GraduateStudent")),
        research_assistant: one(i.unary("ResearchAssistant")),
        graduate_course: one(i.unary("GraduateCourse")),
        undergraduate_student: one(i.unary("UndergraduateStudent")),
        research_group_in: one(i.unary("ResearchGroup")),
        publication_in: one(i.unary("Publication")),
        teaching_assistant_in: one(i.unary("TeachingAssistant")),
        full_professor: one(i.unary("FullProfessor")),
        department: one(i.unary("Department")),
        teaching_assistant_of: i.binary("teachingAssistantOf"),
        head_of: i.binary("headOf"),
        teacher_of: i.binary("teacherOf"),
        publication_author: i.binary("publicationAuthor"),
        doctoral_degree_from: i.binary("doctoralDegreeFrom"),
        undergraduate_degree_from: i.binary("undergraduateDegreeFrom"),
        masters_degree_from: i.binary("mastersDegreeFrom"),
        sub_organization_of_in: i.binary("subOrganizationOf"),
        takes_course: i.binary("takesCourse"),
        works_for_in: i.binary("worksFor"),
        member_of_in: i.binary("memberOf"),
        advisor: i.binary("advisor"),
        email_address: i.binary("emailAddress"),
        telephone: i.binary("telephone"),
        ..Default::default()
    };
    p.run();
    let one = |v: Vec<(u32,)>| lubm::Rows::Unary(v.into_iter().map(|(x,)| x).collect());
    vec![
        one(p.university),
        one(p.person),
        one(p.employee),
        one(p.faculty),
        one(p.professor),
        one(p.course),
        one(p.organization),
        one(p.chair),
        one(p.work),
        one(p.lecturer),
        one(p.student),
        one(p.research_group),
        one(p.publication),
        one(p.teaching_assistant),
        lubm::Rows::Binary(p.has_alumnus),
        lubm::Rows::Binary(p.degree_from),
        lubm::Rows::Binary(p.member),
        lubm::Rows::Binary(p.sub_organization_of),
        lubm::Rows::Binary(p.works_for),
        lubm::Rows::Binary(p.member_of),
    ]
}
