import { inlineParameters } from './sql-literals';

describe('inlineParameters', () => {
  it('renders each kind of value it accepts as an unambiguous literal', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(inlineParameters('SELECT $1, $2, $3, $4, $5, $6', ['a', 42, true, false, null, at])).toBe(
      "SELECT 'a', 42, TRUE, FALSE, NULL, '2026-01-02T03:04:05.678Z'",
    );
  });

  it('quotes text so that it stays one value: quotes doubled, backslashes in the E form', () => {
    expect(inlineParameters('SELECT $1', ["it's"])).toBe("SELECT 'it''s'");
    // (pg's escapeLiteral puts a space before the E form.)
    expect(inlineParameters('SELECT $1', ["a\\'; DROP TABLE users; --"])).toBe("SELECT  E'a\\\\''; DROP TABLE users; --'");
  });

  it('maps $10 and up to their own values, and a value used twice twice', () => {
    const params = Array.from({ length: 11 }, (_, i) => i + 1);
    expect(inlineParameters('$1 $10 $11 $1', params)).toBe('1 10 11 1');
  });

  it('refuses what it cannot render faithfully', () => {
    expect(() => inlineParameters('SELECT $2', ['a'])).toThrow('no value for parameter $2');
    expect(() => inlineParameters('SELECT $1', [1.5])).toThrow(/unsupported SQL parameter value \(number\)/);
    expect(() => inlineParameters('SELECT $1', [2 ** 60])).toThrow(/unsupported SQL parameter value \(number\)/);
    expect(() => inlineParameters('SELECT $1', [['a']])).toThrow(/unsupported SQL parameter value \(object\)/);
    expect(() => inlineParameters('SELECT $1', [new Date('nope')])).toThrow(/unsupported SQL parameter value \(object\)/);
  });
});
