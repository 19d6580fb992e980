//! The workloads written by hand for datafrog: each rule a merge join or a map over variables.

use super::{INDEPENDENT_C, INDEPENDENT_D, lubm};
use datafrog::{Iteration, Relation};

/// Transitive closure: the `path` rows.
pub fn tc(edges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut iteration = Iteration::new();
    let edge_by_dst: Relation<(u32, u32)> = edges.iter().map(|&(x, y)| (y, x)).collect();
    let path = iteration.variable::<(u32, u32)>("path");
    // path(x, y) :- edge(x, y).
    path.extend(edges.iter().copied());
    while iteration.changed() {
        // path(x, z) :- edge(x, y), path(y, z).
        path.from_join(&path, &edge_by_dst, |_y, &z, &x| (x, z));
    }
    path.complete().elements
}

/// Same generation over `parent(child, parent)`: the `sg` rows.
pub fn sg(parent: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut iteration = Iteration::new();
    let by_parent: Relation<(u32, u32)> = parent.iter().map(|&(c, p)| (p, c)).collect();
    let sg = iteration.variable::<(u32, u32)>("sg");
    let t = iteration.variable::<(u32, u32)>("t");
    // sg(x, y) :- parent(x, p), parent(y, p), x != y.
    let mut first = Relation::from_join(&by_parent, &by_parent, |_p, &x, &y| (x, y));
    first.elements.retain(|&(x, y)| x != y);
    sg.insert(first);
    while iteration.changed() {
        // t(b, x) :- parent(x, a), sg(a, b).
        t.from_join(&sg, &by_parent, |_a, &b, &x| (b, x));
        // sg(x, y) :- t(b, x), parent(y, b).
        sg.from_join(&t, &by_parent, |_b, &x, &y| (x, y));
    }
    sg.complete().elements
}

/// `a(x) :- b(x), c(y), d(y).` and `b(x + 1) :- a(x), x < n.` from `b(0)`: the `a` rows.
/// `c(y), d(y)` shares no variable with the rest of the rule, so it is checked once.
pub fn independent(n: i64) -> Vec<i64> {
    let holds = INDEPENDENT_C.clone().any(|y| INDEPENDENT_D.contains(&y));
    let mut iteration = Iteration::new();
    let a = iteration.variable::<(i64, ())>("a");
    let b = iteration.variable::<(i64, ())>("b");
    b.extend([(0, ())]);
    while iteration.changed() {
        if holds {
            // a(x) :- b(x), c(y), d(y).
            a.from_map(&b, |&(x, ())| (x, ()));
        }
        // b(x + 1) :- a(x), x < n.
        let next: Vec<(i64, ())> = a
            .recent
            .borrow()
            .iter()
            .filter(|&&(x, ())| x < n)
            .map(|&(x, ())| (x + 1, ()))
            .collect();
        b.insert(next.into());
    }
    a.complete().iter().map(|&(x, ())| x).collect()
}

/// LUBM's ontology rules (Soufflé's `example/lubm`), by hand: relations that only inputs
/// feed (`Course`, `worksFor`) are computed before the iteration, joins with them become
/// static relations, and the rest are variables joined by merge joins. Returns the outputs in
/// the order of [`lubm::OUTPUTS`].
pub fn lubm(mut i: lubm::Input) -> Vec<lubm::Rows> {
    let unit = |xs: &[u32]| -> Relation<(u32, ())> { xs.iter().map(|&x| (x, ())).collect() };
    let firsts =
        |xs: &[(u32, u32)]| -> Relation<(u32, ())> { xs.iter().map(|&(x, _)| (x, ())).collect() };
    let seconds =
        |xs: &[(u32, u32)]| -> Relation<(u32, ())> { xs.iter().map(|&(_, y)| (y, ())).collect() };
    let ta_of = i.binary("teachingAssistantOf");
    let head_of = i.binary("headOf");
    let teacher_of = i.binary("teacherOf");
    let author = i.binary("publicationAuthor");
    let doctoral = i.binary("doctoralDegreeFrom");
    let undergraduate = i.binary("undergraduateDegreeFrom");
    let masters = i.binary("mastersDegreeFrom");
    let takes = i.binary("takesCourse");
    let advisor = i.binary("advisor");
    let department = unit(&i.unary("Department"));

    // Course(y) :- teacherOf(_, y).  Course(y) :- teachingAssistantOf(_, y).
    // Course(x) :- GraduateCourse(x).  (and the input)
    let course = unit(&i.unary("Course"))
        .merge(seconds(&teacher_of))
        .merge(seconds(&ta_of))
        .merge(unit(&i.unary("GraduateCourse")));
    // worksFor(x, y) :- headOf(x, y).  (and the input)
    let works_for: Relation<(u32, u32)> =
        Relation::from_vec(i.binary("worksFor")).merge(head_of.iter().copied().collect());
    let by_second =
        |xs: &[(u32, u32)]| -> Relation<(u32, u32)> { xs.iter().map(|&(x, y)| (y, x)).collect() };
    // The static parts of the three-atom rules, keyed by the person.
    let ta_course: Relation<(u32, ())> =
        Relation::from_join(&by_second(&ta_of), &course, |_y, &x, _| (x, ()));
    let takes_course: Relation<(u32, ())> =
        Relation::from_join(&by_second(&takes), &course, |_y, &x, _| (x, ()));
    let head_dept: Relation<(u32, ())> =
        Relation::from_join(&by_second(&head_of), &department, |_y, &x, _| (x, ()));
    let works_for_by_org = by_second(&works_for);

    let mut it = Iteration::new();
    let var1 = |it: &mut Iteration, name: &str| it.variable::<(u32, ())>(name);
    let university = var1(&mut it, "University");
    let person = var1(&mut it, "Person");
    let employee = var1(&mut it, "Employee");
    let faculty = var1(&mut it, "Faculty");
    let professor = var1(&mut it, "Professor");
    let organization = var1(&mut it, "Organization");
    let chair = var1(&mut it, "Chair");
    let student = var1(&mut it, "Student");
    let teaching_assistant = var1(&mut it, "TeachingAssistant");
    let works_for_org = var1(&mut it, "worksFor-Organization");
    let has_alumnus = it.variable::<(u32, u32)>("hasAlumnus");
    let degree_from = it.variable::<(u32, u32)>("degreeFrom");
    let member = it.variable::<(u32, u32)>("member");
    let member_of = it.variable::<(u32, u32)>("memberOf");
    let sub_org = it.variable::<(u32, u32)>("subOrganizationOf");
    let sub_org_by_second = it.variable::<(u32, u32)>("subOrganizationOf by second");

    // The rules whose bodies are inputs only.
    university.insert(unit(&i.unary("University")));
    for d in [&masters, &doctoral, &undergraduate] {
        university.insert(seconds(d));
        person.insert(firsts(d));
        degree_from.insert(d.iter().copied().collect());
    }
    for p in ["AssociateProfessor", "AssistantProfessor", "FullProfessor"] {
        professor.insert(unit(&i.unary(p)));
    }
    professor.insert(seconds(&advisor));
    for p in [&i.binary("telephone"), &advisor, &i.binary("emailAddress")] {
        person.insert(firsts(p));
    }
    person.insert(seconds(&author));
    person.insert(unit(&i.unary("GraduateStudent")));
    person.insert(unit(&i.unary("ResearchAssistant")));
    organization.insert(department.clone());
    let research_group = unit(&i.unary("ResearchGroup"));
    organization.insert(research_group.clone());
    let lecturer = unit(&i.unary("Lecturer"));
    faculty.insert(lecturer.clone());
    faculty.insert(firsts(&teacher_of));
    teaching_assistant.insert(unit(&i.unary("TeachingAssistant")));
    teaching_assistant.insert(firsts(&ta_of));
    student.insert(unit(&i.unary("UndergraduateStudent")));
    let publication = unit(&i.unary("Publication")).merge(firsts(&author));
    member_of.insert(i.binary("memberOf").into());
    member_of.insert(works_for.clone());
    sub_org.insert(i.binary("subOrganizationOf").into());

    while it.changed() {
        // degreeFrom(x, y) :- hasAlumnus(y, x).  hasAlumnus(x, y) :- degreeFrom(y, x).
        degree_from.from_map(&has_alumnus, |&(y, x)| (x, y));
        has_alumnus.from_map(&degree_from, |&(y, x)| (x, y));
        // memberOf(x, y) :- member(y, x).  member(x, y) :- memberOf(y, x).
        member_of.from_map(&member, |&(y, x)| (x, y));
        member.from_map(&member_of, |&(y, x)| (x, y));
        // Employee(x) :- Faculty(x).  Faculty(x) :- Professor(x).  Professor(x) :- Chair(x).
        employee.from_map(&faculty, |&x| x);
        faculty.from_map(&professor, |&x| x);
        professor.from_map(&chair, |&x| x);
        // Person(y) :- member(_, y).  Person(x) :- degreeFrom(x, _).
        // Person(y) :- hasAlumnus(_, y).  Person(x) :- Employee(x).  Person(x) :- Chair(x).
        // Person(x) :- TeachingAssistant(x).  Person(x) :- Student(x).
        person.from_map(&member, |&(_, y)| (y, ()));
        person.from_map(&degree_from, |&(x, _)| (x, ()));
        person.from_map(&has_alumnus, |&(_, y)| (y, ()));
        for v in [&employee, &chair, &teaching_assistant, &student] {
            person.from_map(v, |&x| x);
        }
        // University(y) :- degreeFrom(_, y).  University(x) :- hasAlumnus(x, _).
        university.from_map(&degree_from, |&(_, y)| (y, ()));
        university.from_map(&has_alumnus, |&(x, _)| (x, ()));
        // Organization(y) :- subOrganizationOf(_, y).  Organization(x) :- member(x, _).
        // Organization(x) :- University(x).  Organization(x) :- subOrganizationOf(x, _).
        organization.from_map(&sub_org, |&(_, y)| (y, ()));
        organization.from_map(&member, |&(x, _)| (x, ()));
        organization.from_map(&university, |&x| x);
        organization.from_map(&sub_org, |&(x, _)| (x, ()));
        // TeachingAssistant(x) :- Person(x), teachingAssistantOf(x, y), Course(y).
        teaching_assistant.from_join(&person, &ta_course, |&x, _, _| (x, ()));
        // Chair(x) :- Person(x), headOf(x, y), Department(y).
        chair.from_join(&person, &head_dept, |&x, _, _| (x, ()));
        // Student(x) :- Person(x), takesCourse(x, y), Course(y).
        student.from_join(&person, &takes_course, |&x, _, _| (x, ()));
        // Employee(x) :- Person(x), worksFor(x, y), Organization(y): the worksFor rows whose
        // organization holds, then the persons among them.
        works_for_org.from_join(&organization, &works_for_by_org, |_y, _, &x| (x, ()));
        employee.from_join(&works_for_org, &person, |&x, _, _| (x, ()));
        // subOrganizationOf(x, z) :- subOrganizationOf(x, y), subOrganizationOf(y, z).
        sub_org_by_second.from_map(&sub_org, |&(x, y)| (y, x));
        sub_org.from_join(&sub_org_by_second, &sub_org, |_y, &x, &z| (x, z));
    }
    let one = |v: Relation<(u32, ())>| lubm::Rows::Unary(v.iter().map(|&(x, ())| x).collect());
    let two = |v: Relation<(u32, u32)>| lubm::Rows::Binary(v.elements);
    let work = course.clone();
    vec![
        one(university.complete()),
        one(person.complete()),
        one(employee.complete()),
        one(faculty.complete()),
        one(professor.complete()),
        one(course),
        one(organization.complete()),
        one(chair.complete()),
        // Work(x) :- Course(x).
        one(work),
        one(lecturer),
        one(student.complete()),
        one(research_group),
        // Publication(x) :- publicationAuthor(x, _).  (and the input)
        one(publication),
        one(teaching_assistant.complete()),
        two(has_alumnus.complete()),
        two(degree_from.complete()),
        two(member.complete()),
        two(sub_org.complete()),
        two(works_for),
        two(member_of.complete()),
    ]
}

/// The EL classification by hand (the rules of [`crate::elgen::EL_PROGRAM`]): the role
/// hierarchy and everything that joins only inputs are computed first; each rule with two
/// atoms of the iteration joins one of them with a static relation into an intermediate
/// variable keyed for the other. Returns the `sub` rows.
pub fn el(i: super::El) -> Vec<(u32, u32)> {
    // subroles(r, r) :- role(r).  subroles(r, t) :- subrole(r, s), subroles(s, t).
    let subroles: Relation<(u32, u32)> = {
        let mut it = Iteration::new();
        let subroles = it.variable::<(u32, u32)>("subroles");
        let subrole_by_s: Relation<(u32, u32)> = i.subrole.iter().map(|&(r, s)| (s, r)).collect();
        subroles.extend(i.role.iter().map(|&r| (r, r)));
        while it.changed() {
            subroles.from_join(&subroles, &subrole_by_s, |_s, &t, &r| (r, t));
        }
        subroles.complete()
    };
    let subroles_by_s: Relation<(u32, u32)> = subroles.iter().map(|&(r, s)| (s, r)).collect();
    // exl'(a, r, b) :- subroles(r, s), exl(s, a, b).
    let exl_by_s: Relation<(u32, (u32, u32))> =
        i.exl.iter().map(|&(s, a, b)| (s, (a, b))).collect();
    let exl_by_a: Relation<(u32, (u32, u32))> =
        Relation::from_join(&subroles_by_s, &exl_by_s, |_s, &r, &(a, b)| (a, (r, b)));
    // chain'(r1, r2, t) :- subroles(r1, s1), subroles(r2, s2), chain(s1, s2, t).
    let chain_by_s1: Relation<(u32, (u32, u32))> =
        i.chain.iter().map(|&(s1, s2, t)| (s1, (s2, t))).collect();
    let half: Relation<(u32, (u32, u32))> =
        Relation::from_join(&subroles_by_s, &chain_by_s1, |_s1, &r1, &(s2, t)| {
            (s2, (r1, t))
        });
    let chain_by_r1: Relation<(u32, (u32, u32))> =
        Relation::from_join(&subroles_by_s, &half, |_s2, &r2, &(r1, t)| (r1, (r2, t)));
    let told: Relation<(u32, u32)> = i.told.iter().copied().collect();
    let conj_by_a1: Relation<(u32, (u32, u32))> =
        i.conj.iter().map(|&(a1, a2, b)| (a1, (a2, b))).collect();
    let exr_by_a: Relation<(u32, (u32, u32))> =
        i.exr.iter().map(|&(a, r, b)| (a, (r, b))).collect();

    let mut it = Iteration::new();
    let sub = it.variable::<(u32, u32)>("sub");
    let sub_by_a = it.variable::<(u32, u32)>("sub by a");
    let sub_pair = it.variable::<((u32, u32), ())>("sub as a key");
    let rel_xr = it.variable::<((u32, u32), u32)>("rel by x, r");
    let rel_yr = it.variable::<((u32, u32), u32)>("rel by y, r");
    let rel_by_r = it.variable::<(u32, (u32, u32))>("rel by r");
    let conj_part = it.variable::<((u32, u32), u32)>("sub(x, a1), conj(a1, a2, b)");
    let exl_part = it.variable::<((u32, u32), u32)>("sub(y, a), exl'(a, r, b)");
    let chain_part = it.variable::<((u32, u32), (u32, u32))>("rel(x, r1, y), chain'(r1, r2, t)");
    // sub(x, x) :- concept(x).
    sub.extend(i.concept.iter().map(|&x| (x, x)));
    while it.changed() {
        sub_by_a.from_map(&sub, |&(x, a)| (a, x));
        sub_pair.from_map(&sub, |&(x, a)| ((x, a), ()));
        rel_yr.from_map(&rel_xr, |&((x, r), y)| ((y, r), x));
        rel_by_r.from_map(&rel_xr, |&((x, r), y)| (r, (x, y)));
        // sub(x, b) :- sub(x, a), told(a, b).
        sub.from_join(&sub_by_a, &told, |_a, &x, &b| (x, b));
        // sub(x, b) :- sub(x, a1), sub(x, a2), conj(a1, a2, b).
        conj_part.from_join(&sub_by_a, &conj_by_a1, |_a1, &x, &(a2, b)| ((x, a2), b));
        sub.from_join(&conj_part, &sub_pair, |&(x, _a2), &b, _| (x, b));
        // rel(x, r, b) :- sub(x, a), exr(a, r, b).
        rel_xr.from_join(&sub_by_a, &exr_by_a, |_a, &x, &(r, b)| ((x, r), b));
        // sub(x, b) :- rel(x, r, y), sub(y, a), subroles(r, s), exl(s, a, b).
        exl_part.from_join(&sub_by_a, &exl_by_a, |_a, &y, &(r, b)| ((y, r), b));
        sub.from_join(&exl_part, &rel_yr, |_yr, &b, &x| (x, b));
        // rel(x, t, z) :- rel(x, r1, y), rel(y, r2, z), subroles(r1, s1), subroles(r2, s2),
        //                 chain(s1, s2, t).
        chain_part.from_join(&rel_by_r, &chain_by_r1, |_r1, &(x, y), &(r2, t)| {
            ((y, r2), (x, t))
        });
        rel_xr.from_join(&chain_part, &rel_xr, |_yr2, &(x, t), &z| ((x, t), z));
    }
    sub.complete().elements
}
