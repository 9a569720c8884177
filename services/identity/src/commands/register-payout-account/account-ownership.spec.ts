import { decideAccountOwnership } from './account-ownership';

describe('account ownership', () => {
  const person = { name: '김민지', birthDate: '1990-04-01' };

  it('accepts an account whose holder is the verified person', () => {
    expect(decideAccountOwnership(person, { holderName: '김 민지', birthDate: '1990-04-01' })).toEqual({ status: 'VERIFIED' });
  });

  it('rejects an account held by someone else with the same birth date', () => {
    expect(decideAccountOwnership(person, { holderName: '이서준', birthDate: '1990-04-01' })).toEqual({
      status: 'REJECTED',
      reason: 'HOLDER_NAME_MISMATCH',
    });
  });

  it('rejects a namesake born on another day', () => {
    expect(decideAccountOwnership(person, { holderName: '김민지', birthDate: '1991-04-01' }).reason).toBe('HOLDER_BIRTH_DATE_MISMATCH');
  });

  it('rejects an account the bank does not know', () => {
    expect(decideAccountOwnership(person, null)).toEqual({ status: 'REJECTED', reason: 'NO_SUCH_ACCOUNT' });
  });
});
