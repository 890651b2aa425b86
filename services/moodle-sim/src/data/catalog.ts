/**
 * Fixed content of the seeded data set: names, courses and activity titles.
 * Tables only; seed.ts combines them with the PRNG and the clock.
 */

import type { RoleOverride } from '../auth/capabilities.js';

export const SITE = { fullname: 'Riverside Academy (Moodle simulator)', shortname: 'riverside' };

export const FIRST_NAMES = [
  'Amara', 'Ben', 'Chloe', 'Daniel', 'Elif', 'Finn', 'Grace', 'Hugo', 'Isla', 'Jonas', 'Keira', 'Liam', 'Maya', 'Noah', 'Olivia',
  'Pablo', 'Quinn', 'Rosa', 'Samir', 'Tara', 'Umar', 'Vera', 'Wes', 'Xiadani', 'Yusuf', 'Zoe', 'Aiko', 'Bruno', 'Clara', 'Dev',
];

export const LAST_NAMES = [
  'Andersen', 'Becker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Hansen', 'Ito', 'Jansen', 'Kowalski', 'Larsen',
  'Moreau', 'Nowak', 'Olsen', 'Petrov', 'Quispe', 'Rossi', 'Schmidt', 'Tanaka', 'Ueda', 'Varga', 'Weber', 'Yilmaz', 'Zhou',
];

export const CITIES = ['Oslo', 'Bergen', 'Lyon', 'Porto', 'Leeds', 'Graz', 'Utrecht', 'Gdansk'];

/** Site users besides students: the admin and the teaching staff (ids are fixed). */
export const STAFF = [
  { id: 2, username: 'admin', firstname: 'Admin', lastname: 'User' },
  { id: 3, username: 'tlindqvist', firstname: 'Tessa', lastname: 'Lindqvist' },
  { id: 4, username: 'mokafor', firstname: 'Marcus', lastname: 'Okafor' },
  { id: 5, username: 'praman', firstname: 'Priya', lastname: 'Raman' },
];

/**
 * Staff added after the first data set: built after every PRNG draw (seed.ts
 * appendLateStaff), with fixed dates, so every earlier id and drawn value stays
 * as it was. Jonas Noor assists in BIO101 and LIT220.
 */
export const LATE_STAFF: { id: number; username: string; firstname: string; lastname: string; city: string; courses: [number, 'teachingassistant'][] }[] = [
  { id: 6, username: 'jnoor', firstname: 'Jonas', lastname: 'Noor', city: 'Bergen', courses: [[2, 'teachingassistant'], [6, 'teachingassistant']] },
];

/**
 * Course-level role overrides (Participants > Permissions in each course, i.e.
 * rows of mdl_role_capabilities in the course context): in BIO101 and LIT220
 * the teaching assistant may read submissions, grades and reports but not
 * grade. Prohibit, so no other role assignment can grant it back there.
 */
export const ROLE_OVERRIDES: RoleOverride[] = [2, 6].flatMap((courseid) =>
  (['mod/assign:grade', 'mod/quiz:grade'] as const).map((capability) => ({ courseid, role: 'teachingassistant' as const, capability, permission: 'prohibit' as const })),
);

export const CATEGORIES = [
  { id: 1, name: 'Miscellaneous' },
  { id: 2, name: 'Science and Mathematics' },
  { id: 3, name: 'Humanities' },
];

export interface CourseSpec {
  id: number;
  category: number;
  shortname: string;
  fullname: string;
  format: 'topics' | 'weeks';
  visible: 0 | 1;
  /** Staff enrolments: [userid, role]. */
  staff: [number, 'editingteacher' | 'teacher'][];
  assignments: { name: string; dueDays: number; grade: number }[];
  quizzes: { name: string; openDays: number; closeDays: number }[];
  sections: string[];
}

export const COURSES: CourseSpec[] = [
  {
    id: 2, category: 2, shortname: 'BIO101', fullname: 'Biology 101: Cells and Life', format: 'topics', visible: 1,
    staff: [[3, 'editingteacher'], [4, 'teacher']],
    assignments: [
      { name: 'Lab report: osmosis in potato cells', dueDays: -6, grade: 100 },
      { name: 'Essay: the origin of mitochondria', dueDays: 3, grade: 100 },
      { name: 'Poster: the cell cycle', dueDays: 17, grade: 20 },
    ],
    quizzes: [
      { name: 'Quiz 1: cell structure', openDays: -20, closeDays: -8 },
      { name: 'Quiz 2: membranes and transport', openDays: -2, closeDays: 4 },
    ],
    sections: ['Cells', 'Membranes', 'Energy', 'Division'],
  },
  {
    id: 3, category: 2, shortname: 'CHEM201', fullname: 'Chemistry 201: Reactions', format: 'topics', visible: 1,
    staff: [[3, 'editingteacher'], [5, 'teacher']],
    assignments: [
      { name: 'Problem set 1: stoichiometry', dueDays: -12, grade: 100 },
      { name: 'Problem set 2: equilibria', dueDays: -1, grade: 100 },
      { name: 'Lab report: titration', dueDays: 6, grade: 100 },
    ],
    quizzes: [
      { name: 'Quiz: reaction types', openDays: -5, closeDays: 2 },
    ],
    sections: ['Stoichiometry', 'Equilibria', 'Kinetics'],
  },
  {
    id: 4, category: 2, shortname: 'MATH110', fullname: 'Mathematics 110: Calculus I', format: 'weeks', visible: 1,
    staff: [[3, 'editingteacher'], [5, 'teacher']],
    assignments: [
      { name: 'Homework 1: limits', dueDays: -15, grade: 10 },
      { name: 'Homework 2: derivatives', dueDays: -4, grade: 10 },
      { name: 'Homework 3: applications of derivatives', dueDays: 2, grade: 10 },
    ],
    quizzes: [
      { name: 'Weekly quiz: limits', openDays: -16, closeDays: -9 },
      { name: 'Weekly quiz: derivatives', openDays: -1, closeDays: 5 },
    ],
    sections: ['Week 1', 'Week 2', 'Week 3', 'Week 4'],
  },
  {
    id: 5, category: 3, shortname: 'HIST150', fullname: 'History 150: The Modern World', format: 'topics', visible: 1,
    staff: [[3, 'editingteacher'], [4, 'editingteacher']],
    assignments: [
      { name: 'Source analysis: the 1848 revolutions', dueDays: -9, grade: 100 },
      { name: 'Essay: causes of the First World War', dueDays: 8, grade: 100 },
    ],
    quizzes: [{ name: 'Timeline quiz', openDays: -3, closeDays: 9 }],
    sections: ['Revolutions', 'Empires', 'World wars'],
  },
  {
    id: 6, category: 3, shortname: 'LIT220', fullname: 'Literature 220: The Novel', format: 'topics', visible: 1,
    staff: [[4, 'editingteacher'], [5, 'teacher']],
    assignments: [
      { name: 'Reading journal', dueDays: -2, grade: 100 },
      { name: 'Close reading: Middlemarch, chapter 20', dueDays: 12, grade: 100 },
    ],
    quizzes: [{ name: 'Reading check', openDays: -7, closeDays: 1 }],
    sections: ['Realism', 'Modernism', 'Contemporary'],
  },
  {
    id: 7, category: 3, shortname: 'PHIL100', fullname: 'Philosophy 100: Ethics', format: 'topics', visible: 0,
    staff: [[4, 'editingteacher'], [5, 'editingteacher']],
    assignments: [{ name: 'Short paper: the trolley problem', dueDays: 20, grade: 100 }],
    quizzes: [{ name: 'Concepts quiz', openDays: 10, closeDays: 24 }],
    sections: ['Consequentialism', 'Deontology'],
  },
];

export const FEEDBACK = [
  'Clear structure and well-chosen evidence. Work on your conclusion.',
  'Good effort. Check your units in questions 2 and 4.',
  'Excellent analysis — one of the strongest submissions this term.',
  'Please cite your sources consistently (see the style guide).',
  'Solid work; the discussion section needs more depth.',
];

export const DISCUSSION_TOPICS = [
  'Question about the reading for this week',
  'Study group for the quiz?',
  'Extension request process',
  'Useful video on this topic',
  'Clarification on the marking criteria',
  'Lab safety reminder',
];

export const ANNOUNCEMENTS = ['Welcome to the course', 'Room change on Thursday', 'Grades for the first assignment are out'];
