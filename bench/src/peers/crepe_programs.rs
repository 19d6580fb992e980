//! The workloads in Crepe (each program in its own module: `crepe!` names its runtime `Crepe`).

mod tc {
    use crepe::crepe;
    crepe! {
        @input
        struct Edge(u32, u32);
        @output
        struct Path(u32, u32);
        Path(x, y) <- Edge(x, y);
        Path(x, z) <- Edge(x, y), Path(y, z);
    }

    /// Transitive closure: the `path` rows.
    pub(super) fn run(edges: &[(u32, u32)]) -> Vec<(u32, u32)> {
        let mut rt = Crepe::new();
        rt.extend(edges.iter().map(|&(x, y)| Edge(x, y)));
        let (path,) = rt.run();
        path.into_iter().map(|Path(x, y)| (x, y)).collect()
    }
}

mod sg {
    use crepe::crepe;
    crepe! {
        @input
        struct Parent(u32, u32);
        @output
        struct Sg(u32, u32);
        Sg(x, y) <- Parent(x, p), Parent(y, p), (x != y);
        Sg(x, y) <- Parent(x, a), Sg(a, b), Parent(y, b);
    }

    /// Same generation: the `sg` rows.
    pub(super) fn run(parent: &[(u32, u32)]) -> Vec<(u32, u32)> {
        let mut rt = Crepe::new();
        rt.extend(parent.iter().map(|&(x, y)| Parent(x, y)));
        let (sg,) = rt.run();
        sg.into_iter().map(|Sg(x, y)| (x, y)).collect()
    }
}

mod independent {
    use super::super::{INDEPENDENT_C, INDEPENDENT_D};
    use crepe::crepe;
    crepe! {
        @input
        struct Start(i64);
        @input
        struct C(i64);
        @input
        struct D(i64);
        @input
        struct Limit(i64);
        @output
        struct A(i64);
        struct B(i64);
        B(x) <- Start(x);
        A(x) <- B(x), C(y), D(y);
        B(x + 1) <- A(x), Limit(n), (x < n);
    }

    /// The independent-body workload: the `a` rows.
    pub(super) fn run(n: i64) -> Vec<i64> {
        let mut rt = Crepe::new();
        rt.extend([Start(0)]);
        rt.extend(INDEPENDENT_C.map(C));
        rt.extend(INDEPENDENT_D.map(D));
        rt.extend([Limit(n)]);
        let (a,) = rt.run();
        a.into_iter().map(|A(x)| x).collect()
    }
}

mod el {
    crepe::crepe! {
        @input
        struct Concept(u32);
        @input
        struct Told(u32, u32);
        @input
        struct Conj(u32, u32, u32);
        @input
        struct Exr(u32, u32, u32);
        @input
        struct Exl(u32, u32, u32);
        @input
        struct Subrole(u32, u32);
        @input
        struct Chain(u32, u32, u32);
        @input
        struct Role(u32);
        struct Subroles(u32, u32);
        @output
        struct Sub(u32, u32);
        struct Rel(u32, u32, u32);
        Subroles(r, r) <- Role(r);
        Subroles(r, t) <- Subrole(r, s), Subroles(s, t);
        Sub(x, x) <- Concept(x);
        Sub(x, b) <- Sub(x, a), Told(a, b);
        Sub(x, b) <- Sub(x, a1), Sub(x, a2), Conj(a1, a2, b);
        Rel(x, r, b) <- Sub(x, a), Exr(a, r, b);
        Sub(x, b) <- Rel(x, r, y), Sub(y, a), Subroles(r, s), Exl(s, a, b);
        Rel(x, t, z) <- Rel(x, r1, y), Rel(y, r2, z), Subroles(r1, s1), Subroles(r2, s2), Chain(s1, s2, t);
    }

    /// The EL classification: the `sub` rows.
    pub(super) fn run(i: super::super::El) -> Vec<(u32, u32)> {
        let mut rt = Crepe::new();
        rt.extend(i.concept.into_iter().map(Concept));
        rt.extend(i.told.into_iter().map(|(a, b)| Told(a, b)));
        rt.extend(i.conj.into_iter().map(|(a, b, c)| Conj(a, b, c)));
        rt.extend(i.exr.into_iter().map(|(a, b, c)| Exr(a, b, c)));
        rt.extend(i.exl.into_iter().map(|(a, b, c)| Exl(a, b, c)));
        rt.extend(i.subrole.into_iter().map(|(a, b)| Subrole(a, b)));
        rt.extend(i.chain.into_iter().map(|(a, b, c)| Chain(a, b, c)));
        rt.extend(i.role.into_iter().map(Role));
        let (sub,) = rt.run();
        sub.into_iter().map(|Sub(x, a)| (x, a)).collect()
    }
}

/// The EL classification: the `sub` rows.
pub fn el(input: super::El) -> Vec<(u32, u32)> {
    el::run(input)
}

/// Transitive closure: the `path` rows.
pub fn tc(edges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    tc::run(edges)
}

/// Same generation: the `sg` rows.
pub fn sg(parent: &[(u32, u32)]) -> Vec<(u32, u32)> {
    sg::run(parent)
}

/// The independent-body workload: the `a` rows.
pub fn independent(n: i64) -> Vec<i64> {
    independent::run(n)
}

mod lubm_rules {
    use super::super::lubm;

    crepe::crepe! {
        @input
        struct UniversityIn(u32);
        @output
        struct University(u32);
        @output
        struct Person(u32);
        @output
        struct Employee(u32);
        @output
        struct Faculty(u32);
        @output
        struct Professor(u32);
        @input
        struct CourseIn(u32);
        @output
        struct Course(u32);
        @input
        struct AssociateProfessor(u32);
        @input
        struct AssistantProfessor(u32);
        @output
        struct Organization(u32);
        @output
        struct Chair(u32);
        @output
        struct Work(u32);
        @input
        struct LecturerIn(u32);
        @output
        struct Lecturer(u32);
        @output
        struct Student(u32);
        @input
        struct GraduateStudent(u32);
        @input
        struct ResearchAssistant(u32);
        @input
        struct GraduateCourse(u32);
        @input
        struct UndergraduateStudent(u32);
        @input
        struct ResearchGroupIn(u32);
        @output
        struct ResearchGroup(u32);
        @input
        struct PublicationIn(u32);
        @output
        struct Publication(u32);
        @input
        struct TeachingAssistantIn(u32);
        @output
        struct TeachingAssistant(u32);
        @input
        struct FullProfessor(u32);
        @input
        struct Department(u32);
        @output
        struct HasAlumnus(u32, u32);
        @output
        struct DegreeFrom(u32, u32);
        @output
        struct Member(u32, u32);
        @input
        struct TeachingAssistantOf(u32, u32);
        @input
        struct HeadOf(u32, u32);
        @input
        struct TeacherOf(u32, u32);
        @input
        struct PublicationAuthor(u32, u32);
        @input
        struct DoctoralDegreeFrom(u32, u32);
        @input
        struct UndergraduateDegreeFrom(u32, u32);
        @input
        struct MastersDegreeFrom(u32, u32);
        @input
        struct SubOrganizationOfIn(u32, u32);
        @output
        struct SubOrganizationOf(u32, u32);
        @input
        struct TakesCourse(u32, u32);
        @input
        struct WorksForIn(u32, u32);
        @output
        struct WorksFor(u32, u32);
        @input
        struct MemberOfIn(u32, u32);
        @output
        struct MemberOf(u32, u32);
        @input
        struct Advisor(u32, u32);
        @input
        struct EmailAddress(u32, u32);
        @input
        struct Telephone(u32, u32);
        University(x) <- UniversityIn(x);
        Course(x) <- CourseIn(x);
        Lecturer(x) <- LecturerIn(x);
        ResearchGroup(x) <- ResearchGroupIn(x);
        Publication(x) <- PublicationIn(x);
        TeachingAssistant(x) <- TeachingAssistantIn(x);
        SubOrganizationOf(x, y) <- SubOrganizationOfIn(x, y);
        WorksFor(x, y) <- WorksForIn(x, y);
        MemberOf(x, y) <- MemberOfIn(x, y);
        University(y) <- MastersDegreeFrom(_, y);
        DegreeFrom(x, y) <- HasAlumnus(y, x);
        HasAlumnus(x, y) <- DegreeFrom(y, x);
        Employee(x) <- Faculty(x);
        Faculty(x) <- Professor(x);
        Professor(x) <- AssociateProfessor(x);
        Person(y) <- Member(_, y);
        Professor(x) <- AssistantProfessor(x);
        Professor(x) <- Chair(x);
        WorksFor(x, y) <- HeadOf(x, y);
        Person(x) <- DegreeFrom(x, _);
        University(y) <- DegreeFrom(_, y);
        Person(y) <- HasAlumnus(_, y);
        TeachingAssistant(x) <- Person(x), TeachingAssistantOf(x, y), Course(y);
        Chair(x) <- Person(x), HeadOf(x, y), Department(y);
        MemberOf(x, y) <- Member(y, x);
        Member(x, y) <- MemberOf(y, x);
        Course(y) <- TeacherOf(_, y);
        University(x) <- HasAlumnus(x, _);
        Person(x) <- Telephone(x, _);
        Organization(y) <- SubOrganizationOf(_, y);
        MemberOf(x, y) <- WorksFor(x, y);
        Person(x) <- Employee(x);
        Person(x) <- Advisor(x, _);
        Organization(x) <- Member(x, _);
        Organization(x) <- Department(x);
        Faculty(x) <- Lecturer(x);
        Person(y) <- PublicationAuthor(_, y);
        Professor(y) <- Advisor(_, y);
        Work(x) <- Course(x);
        Professor(x) <- FullProfessor(x);
        DegreeFrom(x, y) <- DoctoralDegreeFrom(x, y);
        TeachingAssistant(x) <- TeachingAssistantOf(x, _);
        Person(x) <- UndergraduateDegreeFrom(x, _);
        Organization(x) <- University(x);
        Person(x) <- DoctoralDegreeFrom(x, _);
        University(y) <- DoctoralDegreeFrom(_, y);
        Course(y) <- TeachingAssistantOf(_, y);
        University(y) <- UndergraduateDegreeFrom(_, y);
        DegreeFrom(x, y) <- MastersDegreeFrom(x, y);
        Person(x) <- GraduateStudent(x);
        Person(x) <- ResearchAssistant(x);
        Student(x) <- UndergraduateStudent(x);
        DegreeFrom(x, y) <- UndergraduateDegreeFrom(x, y);
        Publication(x) <- PublicationAuthor(x, _);
        Person(x) <- MastersDegreeFrom(x, _);
        Organization(x) <- ResearchGroup(x);
        Faculty(x) <- TeacherOf(x, _);
        Person(x) <- Chair(x);
        Employee(x) <- Person(x), WorksFor(x, y), Organization(y);
        Course(x) <- GraduateCourse(x);
        Student(x) <- Person(x), TakesCourse(x, y), Course(y);
        Person(x) <- TeachingAssistant(x);
        Organization(x) <- SubOrganizationOf(x, _);
        Person(x) <- Student(x);
        Person(x) <- EmailAddress(x, _);
        SubOrganizationOf(x, z) <- SubOrganizationOf(x, y), SubOrganizationOf(y, z);
    }

    /// The LUBM materialisation: the outputs in the order of [`lubm::OUTPUTS`].
    pub(super) fn run(mut i: lubm::Input) -> Vec<lubm::Rows> {
        let mut rt = Crepe::new();
        // Each input relation of the program, read into its Crepe relation.
        macro_rules! load {
            (unary: $($u:literal => $ut:ident),*; binary: $($b:literal => $bt:ident),* $(,)?) => {
                $(rt.extend(i.unary($u).into_iter().map($ut));)*
                $(rt.extend(i.binary($b).into_iter().map(|(x, y)| $bt(x, y)));)*
            };
        }
        load!(
            unary: "University" => UniversityIn, "Course" => CourseIn, "AssociateProfessor" => AssociateProfessor, "AssistantProfessor" => AssistantProfessor, "Lecturer" => LecturerIn, "GraduateStudent" => GraduateStudent, "ResearchAssistant" => ResearchAssistant, "GraduateCourse" => GraduateCourse, "UndergraduateStudent" => UndergraduateStudent, "ResearchGroup" => ResearchGroupIn, "Publication" => PublicationIn, "TeachingAssistant" => TeachingAssistantIn, "FullProfessor" => FullProfessor, "Department" => Department;
            binary: "teachingAssistantOf" => TeachingAssistantOf, "headOf" => HeadOf, "teacherOf" => TeacherOf, "publicationAuthor" => PublicationAuthor, "doctoralDegreeFrom" => DoctoralDegreeFrom, "undergraduateDegreeFrom" => UndergraduateDegreeFrom, "mastersDegreeFrom" => MastersDegreeFrom, "subOrganizationOf" => SubOrganizationOfIn, "takesCourse" => TakesCourse, "worksFor" => WorksForIn, "memberOf" => MemberOfIn, "advisor" => Advisor, "emailAddress" => EmailAddress, "telephone" => Telephone,
        );
        let (
            university,
            person,
            employee,
            faculty,
            professor,
            course,
            organization,
            chair,
            work,
            lecturer,
            student,
            research_group,
            publication,
            teaching_assistant,
            has_alumnus,
            degree_from,
            member,
            sub_organization_of,
            works_for,
            member_of,
        ) = rt.run();
        macro_rules! rows {
            (Unary, $set:ident, $t:ident) => {
                lubm::Rows::Unary($set.into_iter().map(|$t(x)| x).collect())
            };
            (Binary, $set:ident, $t:ident) => {
                lubm::Rows::Binary($set.into_iter().map(|$t(x, y)| (x, y)).collect())
            };
        }
        vec![
            rows!(Unary, university, University),
            rows!(Unary, person, Person),
            rows!(Unary, employee, Employee),
            rows!(Unary, faculty, Faculty),
            rows!(Unary, professor, Professor),
            rows!(Unary, course, Course),
            rows!(Unary, organization, Organization),
            rows!(Unary, chair, Chair),
            rows!(Unary, work, Work),
            rows!(Unary, lecturer, Lecturer),
            rows!(Unary, student, Student),
            rows!(Unary, research_group, ResearchGroup),
            rows!(Unary, publication, Publication),
            rows!(Unary, teaching_assistant, TeachingAssistant),
            rows!(Binary, has_alumnus, HasAlumnus),
            rows!(Binary, degree_from, DegreeFrom),
            rows!(Binary, member, Member),
            rows!(Binary, sub_organization_of, SubOrganizationOf),
            rows!(Binary, works_for, WorksFor),
            rows!(Binary, member_of, MemberOf),
        ]
    }
}

/// The LUBM materialisation: the outputs in the order of [`super::lubm::OUTPUTS`].
pub fn lubm(input: super::lubm::Input) -> Vec<super::lubm::Rows> {
    lubm_rules::run(input)
}
