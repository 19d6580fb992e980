//! The workloads written by hand for datafrog: each rule a merge join or a map over variables.

use super::{INDEPENDENT_C, INDEPENDENT_D, lubm};
use datafrog::{Iteration, Relation, Variable};

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
    let s = LubmStatic::new(&mut i);
    let mut it = Iteration::new();
    let mut v = LubmVars::new(&mut it);
    v.seed(&mut i, &s);
    while it.changed() {
        v.round(&s);
    }
    v.outputs(s)
}

fn unit(xs: &[u32]) -> Relation<(u32, ())> {
    xs.iter().map(|&x| (x, ())).collect()
}

fn firsts(xs: &[(u32, u32)]) -> Relation<(u32, ())> {
    xs.iter().map(|&(x, _)| (x, ())).collect()
}

fn seconds(xs: &[(u32, u32)]) -> Relation<(u32, ())> {
    xs.iter().map(|&(_, y)| (y, ())).collect()
}

fn by_second(xs: &[(u32, u32)]) -> Relation<(u32, u32)> {
    xs.iter().map(|&(x, y)| (y, x)).collect()
}

/// LUBM's relations that only inputs feed, and the static parts of the three-atom rules.
struct LubmStatic {
    ta_of: Vec<(u32, u32)>,
    teacher_of: Vec<(u32, u32)>,
    author: Vec<(u32, u32)>,
    degrees: [Vec<(u32, u32)>; 3],
    advisor: Vec<(u32, u32)>,
    department: Relation<(u32, ())>,
    course: Relation<(u32, ())>,
    works_for: Relation<(u32, u32)>,
    ta_course: Relation<(u32, ())>,
    takes_course: Relation<(u32, ())>,
    head_dept: Relation<(u32, ())>,
    works_for_by_org: Relation<(u32, u32)>,
}

impl LubmStatic {
    fn new(i: &mut lubm::Input) -> LubmStatic {
        let ta_of = i.binary("teachingAssistantOf");
        let head_of = i.binary("headOf");
        let teacher_of = i.binary("teacherOf");
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
        // The static parts of the three-atom rules, keyed by the person.
        let keyed = |xs: &[(u32, u32)], by: &Relation<(u32, ())>| -> Relation<(u32, ())> {
            Relation::from_join(&by_second(xs), by, |_y, &x, _| (x, ()))
        };
        LubmStatic {
            ta_course: keyed(&ta_of, &course),
            takes_course: keyed(&i.binary("takesCourse"), &course),
            head_dept: keyed(&head_of, &department),
            works_for_by_org: by_second(&works_for),
            author: i.binary("publicationAuthor"),
            degrees: [
                i.binary("mastersDegreeFrom"),
                i.binary("doctoralDegreeFrom"),
                i.binary("undergraduateDegreeFrom"),
            ],
            advisor: i.binary("advisor"),
            ta_of,
            teacher_of,
            department,
            course,
            works_for,
        }
    }
}

/// LUBM's relations that rules derive from each other: the iteration's variables.
struct LubmVars {
    university: Variable<(u32, ())>,
    person: Variable<(u32, ())>,
    employee: Variable<(u32, ())>,
    faculty: Variable<(u32, ())>,
    professor: Variable<(u32, ())>,
    organization: Variable<(u32, ())>,
    chair: Variable<(u32, ())>,
    student: Variable<(u32, ())>,
    teaching_assistant: Variable<(u32, ())>,
    works_for_org: Variable<(u32, ())>,
    has_alumnus: Variable<(u32, u32)>,
    degree_from: Variable<(u32, u32)>,
    member: Variable<(u32, u32)>,
    member_of: Variable<(u32, u32)>,
    sub_org: Variable<(u32, u32)>,
    sub_org_by_second: Variable<(u32, u32)>,
    /// Relations of inputs only, kept for the outputs.
    lecturer: Relation<(u32, ())>,
    research_group: Relation<(u32, ())>,
    publication: Relation<(u32, ())>,
}

impl LubmVars {
    fn new(it: &mut Iteration) -> LubmVars {
        LubmVars {
            university: it.variable("University"),
            person: it.variable("Person"),
            employee: it.variable("Employee"),
            faculty: it.variable("Faculty"),
            professor: it.variable("Professor"),
            organization: it.variable("Organization"),
            chair: it.variable("Chair"),
            student: it.variable("Student"),
            teaching_assistant: it.variable("TeachingAssistant"),
            works_for_org: it.variable("worksFor-Organization"),
            has_alumnus: it.variable("hasAlumnus"),
            degree_from: it.variable("degreeFrom"),
            member: it.variable("member"),
            member_of: it.variable("memberOf"),
            sub_org: it.variable("subOrganizationOf"),
            sub_org_by_second: it.variable("subOrganizationOf by second"),
            lecturer: Relation::from_vec(Vec::new()),
            research_group: Relation::from_vec(Vec::new()),
            publication: Relation::from_vec(Vec::new()),
        }
    }

    /// The rules whose bodies are inputs only.
    fn seed(&mut self, i: &mut lubm::Input, s: &LubmStatic) {
        self.university.insert(unit(&i.unary("University")));
        for d in &s.degrees {
            self.university.insert(seconds(d));
            self.person.insert(firsts(d));
            self.degree_from.insert(d.iter().copied().collect());
        }
        for p in ["AssociateProfessor", "AssistantProfessor", "FullProfessor"] {
            self.professor.insert(unit(&i.unary(p)));
        }
        self.professor.insert(seconds(&s.advisor));
        for p in [
            &i.binary("telephone"),
            &s.advisor,
            &i.binary("emailAddress"),
        ] {
            self.person.insert(firsts(p));
        }
        self.person.insert(seconds(&s.author));
        self.person.insert(unit(&i.unary("GraduateStudent")));
        self.person.insert(unit(&i.unary("ResearchAssistant")));
        self.organization.insert(s.department.clone());
        self.research_group = unit(&i.unary("ResearchGroup"));
        self.organization.insert(self.research_group.clone());
        self.lecturer = unit(&i.unary("Lecturer"));
        self.faculty.insert(self.lecturer.clone());
        self.faculty.insert(firsts(&s.teacher_of));
        self.teaching_assistant
            .insert(unit(&i.unary("TeachingAssistant")));
        self.teaching_assistant.insert(firsts(&s.ta_of));
        self.student.insert(unit(&i.unary("UndergraduateStudent")));
        self.publication = unit(&i.unary("Publication")).merge(firsts(&s.author));
        self.member_of.insert(i.binary("memberOf").into());
        self.member_of.insert(s.works_for.clone());
        self.sub_org.insert(i.binary("subOrganizationOf").into());
    }

    /// One round of every rule over the variables.
    fn round(&self, s: &LubmStatic) {
        // degreeFrom(x, y) :- hasAlumnus(y, x).  hasAlumnus(x, y) :- degreeFrom(y, x).
        self.degree_from
            .from_map(&self.has_alumnus, |&(y, x)| (x, y));
        self.has_alumnus
            .from_map(&self.degree_from, |&(y, x)| (x, y));
        // memberOf(x, y) :- member(y, x).  member(x, y) :- memberOf(y, x).
        self.member_of.from_map(&self.member, |&(y, x)| (x, y));
        self.member.from_map(&self.member_of, |&(y, x)| (x, y));
        // Employee(x) :- Faculty(x).  Faculty(x) :- Professor(x).  Professor(x) :- Chair(x).
        self.employee.from_map(&self.faculty, |&x| x);
        self.faculty.from_map(&self.professor, |&x| x);
        self.professor.from_map(&self.chair, |&x| x);
        // Person(y) :- member(_, y).  Person(x) :- degreeFrom(x, _).
        // Person(y) :- hasAlumnus(_, y).  Person(x) :- Employee(x).  Person(x) :- Chair(x).
        // Person(x) :- TeachingAssistant(x).  Person(x) :- Student(x).
        self.person.from_map(&self.member, |&(_, y)| (y, ()));
        self.person.from_map(&self.degree_from, |&(x, _)| (x, ()));
        self.person.from_map(&self.has_alumnus, |&(_, y)| (y, ()));
        for v in [
            &self.employee,
            &self.chair,
            &self.teaching_assistant,
            &self.student,
        ] {
            self.person.from_map(v, |&x| x);
        }
        // University(y) :- degreeFrom(_, y).  University(x) :- hasAlumnus(x, _).
        self.university
            .from_map(&self.degree_from, |&(_, y)| (y, ()));
        self.university
            .from_map(&self.has_alumnus, |&(x, _)| (x, ()));
        // Organization(y) :- subOrganizationOf(_, y).  Organization(x) :- member(x, _).
        // Organization(x) :- University(x).  Organization(x) :- subOrganizationOf(x, _).
        self.organization.from_map(&self.sub_org, |&(_, y)| (y, ()));
        self.organization.from_map(&self.member, |&(x, _)| (x, ()));
        self.organization.from_map(&self.university, |&x| x);
        self.organization.from_map(&self.sub_org, |&(x, _)| (x, ()));
        // TeachingAssistant(x) :- Person(x), teachingAssistantOf(x, y), Course(y).
        (self.teaching_assistant).from_join(&self.person, &s.ta_course, |&x, _, _| (x, ()));
        // Chair(x) :- Person(x), headOf(x, y), Department(y).
        self.chair
            .from_join(&self.person, &s.head_dept, |&x, _, _| (x, ()));
        // Student(x) :- Person(x), takesCourse(x, y), Course(y).
        (self.student).from_join(&self.person, &s.takes_course, |&x, _, _| (x, ()));
        // Employee(x) :- Person(x), worksFor(x, y), Organization(y): the worksFor rows whose
        // organization holds, then the persons among them.
        let by_org = &s.works_for_by_org;
        (self.works_for_org).from_join(&self.organization, by_org, |_y, _, &x| (x, ()));
        (self.employee).from_join(&self.works_for_org, &self.person, |&x, _, _| (x, ()));
        // subOrganizationOf(x, z) :- subOrganizationOf(x, y), subOrganizationOf(y, z).
        (self.sub_org_by_second).from_map(&self.sub_org, |&(x, y)| (y, x));
        (self.sub_org).from_join(&self.sub_org_by_second, &self.sub_org, |_y, &x, &z| (x, z));
    }

    /// The outputs, in the order of [`lubm::OUTPUTS`].
    fn outputs(self, s: LubmStatic) -> Vec<lubm::Rows> {
        let one = |v: Relation<(u32, ())>| lubm::Rows::Unary(v.iter().map(|&(x, ())| x).collect());
        let two = |v: Relation<(u32, u32)>| lubm::Rows::Binary(v.elements);
        vec![
            one(self.university.complete()),
            one(self.person.complete()),
            one(self.employee.complete()),
            one(self.faculty.complete()),
            one(self.professor.complete()),
            one(s.course.clone()),
            one(self.organization.complete()),
            one(self.chair.complete()),
            // Work(x) :- Course(x).
            one(s.course),
            one(self.lecturer),
            one(self.student.complete()),
            one(self.research_group),
            // Publication(x) :- publicationAuthor(x, _).  (and the input)
            one(self.publication),
            one(self.teaching_assistant.complete()),
            two(self.has_alumnus.complete()),
            two(self.degree_from.complete()),
            two(self.member.complete()),
            two(self.sub_org.complete()),
            two(s.works_for),
            two(self.member_of.complete()),
        ]
    }
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
