import { ErrorCodes } from '@pointsweep/contracts';
import { convertPoints } from './conversion';

describe('converting points to won', () => {
  it('consumes the largest multiple of 3 Hyundai M-points and leaves the remainder', () => {
    // given 100 M-points at 3:2, when converted, then 99 are consumed for 66 won
    expect(convertPoints(100, { points: 3, won: 2 })).toEqual({ pointsConsumed: 99, won: 66 });
  });

  it('converts one-to-one programs exactly', () => {
    expect(convertPoints(11_400, { points: 1, won: 1 })).toEqual({ pointsConsumed: 11_400, won: 11_400 });
  });

  it('refuses a request worth 0 won', () => {
    expect(() => convertPoints(2, { points: 3, won: 2 })).toThrow(expect.objectContaining({ code: ErrorCodes.zeroWon }));
  });

  it('refuses fractional or negative points', () => {
    expect(() => convertPoints(1.5, { points: 1, won: 1 })).toThrow(expect.objectContaining({ code: ErrorCodes.invalidMessage }));
    expect(() => convertPoints(-3, { points: 3, won: 2 })).toThrow(expect.objectContaining({ code: ErrorCodes.invalidMessage }));
  });
});
