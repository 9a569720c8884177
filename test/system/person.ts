export { onboardPerson, type OnboardedPerson as TestPerson } from '@pointsweep/client';
