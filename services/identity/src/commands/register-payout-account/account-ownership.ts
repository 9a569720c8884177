/** Pure rule: an account is the person's only if the bank's holder name and birth date match the verified ones. */
export function decideAccountOwnership(
  person: { name: string; birthDate: string },
  bankHolder: { holderName?: string; birthDate?: string } | null,
): { status: 'VERIFIED' | 'REJECTED'; reason?: string } {
  if (!bankHolder) return { status: 'REJECTED', reason: 'NO_SUCH_ACCOUNT' };
  const normalise = (s: string | undefined) => (s ?? '').normalize('NFC').replace(/\s+/g, '');
  if (normalise(bankHolder.holderName) !== normalise(person.name)) return { status: 'REJECTED', reason: 'HOLDER_NAME_MISMATCH' };
  if (bankHolder.birthDate !== person.birthDate) return { status: 'REJECTED', reason: 'HOLDER_BIRTH_DATE_MISMATCH' };
  return { status: 'VERIFIED' };
}
