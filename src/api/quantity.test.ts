// Table tests taken from apimachinery's resource/quantity_test.go (TestQuantityParse,
// TestQuantityParseEmit, TestQuantityString, the invalid list and TestQuantityRoundUp).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareQuantities,
  formatQuantity,
  milliValue,
  parseQuantity,
  QuantityError,
  roundUpQuantity,
  type QuantityFormat,
} from './quantity.ts';

const N = 1_000_000_000n;

/** [input, value as mantissa × 10^exponent, format] */
const PARSE: [string, bigint, number, QuantityFormat][] = [
  ['0', 0n, 0, 'DecimalSI'],
  ['0n', 0n, 0, 'DecimalSI'],
  ['0u', 0n, 0, 'DecimalSI'],
  ['0m', 0n, 0, 'DecimalSI'],
  ['0Ki', 0n, 0, 'BinarySI'],
  ['0k', 0n, 0, 'DecimalSI'],
  ['0Mi', 0n, 0, 'BinarySI'],
  ['0Ti', 0n, 0, 'BinarySI'],
  ['1', 1n, 0, 'DecimalSI'],
  ['1Ki', 1024n, 0, 'BinarySI'],
  ['8Ki', 8n * 1024n, 0, 'BinarySI'],
  ['7Mi', 7n * 1024n ** 2n, 0, 'BinarySI'],
  ['6Gi', 6n * 1024n ** 3n, 0, 'BinarySI'],
  ['5Ti', 5n * 1024n ** 4n, 0, 'BinarySI'],
  ['4Pi', 4n * 1024n ** 5n, 0, 'BinarySI'],
  ['3Ei', 3n * 1024n ** 6n, 0, 'BinarySI'],
  ['100Ti', 100n * 1024n ** 4n, 0, 'BinarySI'],
  ['5n', 5n, -9, 'DecimalSI'],
  ['4u', 4n, -6, 'DecimalSI'],
  ['3m', 3n, -3, 'DecimalSI'],
  ['9', 9n, 0, 'DecimalSI'],
  ['8k', 8n, 3, 'DecimalSI'],
  ['50k', 5n, 4, 'DecimalSI'],
  ['7M', 7n, 6, 'DecimalSI'],
  ['6G', 6n, 9, 'DecimalSI'],
  ['5T', 5n, 12, 'DecimalSI'],
  ['40T', 4n, 13, 'DecimalSI'],
  ['300T', 3n, 14, 'DecimalSI'],
  ['2P', 2n, 15, 'DecimalSI'],
  ['1E', 1n, 18, 'DecimalSI'],
  ['1E-3', 1n, -3, 'DecimalExponent'],
  ['1e3', 1n, 3, 'DecimalExponent'],
  ['1E6', 1n, 6, 'DecimalExponent'],
  ['1e9', 1n, 9, 'DecimalExponent'],
  ['1E12', 1n, 12, 'DecimalExponent'],
  ['1e15', 1n, 15, 'DecimalExponent'],
  ['1E18', 1n, 18, 'DecimalExponent'],
  ['1e14', 1n, 14, 'DecimalExponent'],
  ['1e13', 1n, 13, 'DecimalExponent'],
  ['100.035k', 100035n, 0, 'DecimalSI'],
  ['0.001', 1n, -3, 'DecimalSI'],
  ['0.0005k', 5n, -1, 'DecimalSI'],
  ['0.005', 5n, -3, 'DecimalSI'],
  ['0.05', 5n, -2, 'DecimalSI'],
  ['0.5', 5n, -1, 'DecimalSI'],
  ['0.00050k', 5n, -1, 'DecimalSI'],
  ['0.00500', 5n, -3, 'DecimalSI'],
  ['0.05000', 5n, -2, 'DecimalSI'],
  ['0.50000', 5n, -1, 'DecimalSI'],
  ['0.5e0', 5n, -1, 'DecimalExponent'],
  ['0.5e-1', 5n, -2, 'DecimalExponent'],
  ['0.5e-2', 5n, -3, 'DecimalExponent'],
  ['10.035M', 10035n, 3, 'DecimalSI'],
  ['1.2e3', 12n, 2, 'DecimalExponent'],
  ['1.3E+6', 13n, 5, 'DecimalExponent'],
  ['1.40e9', 14n, 8, 'DecimalExponent'],
  ['1.53E12', 153n, 10, 'DecimalExponent'],
  ['1.6e15', 16n, 14, 'DecimalExponent'],
  ['1.7E18', 17n, 17, 'DecimalExponent'],
  ['9.01', 901n, -2, 'DecimalSI'],
  ['8.1k', 81n, 2, 'DecimalSI'],
  ['7.123456M', 7123456n, 0, 'DecimalSI'],
  ['6.987654321G', 6987654321n, 0, 'DecimalSI'],
  ['5.444T', 5444n, 9, 'DecimalSI'],
  ['40.1T', 401n, 11, 'DecimalSI'],
  ['300.2T', 3002n, 11, 'DecimalSI'],
  ['2.5P', 25n, 14, 'DecimalSI'],
  ['1.01E', 101n, 16, 'DecimalSI'],
  // Things that saturate or round up.
  ['3.001n', 4n, -9, 'DecimalSI'],
  ['1.1E-9', 2n, -9, 'DecimalExponent'],
  ['0.0000000001', 1n, -9, 'DecimalSI'],
  ['0.0000000005', 1n, -9, 'DecimalSI'],
  ['0.00000000050', 1n, -9, 'DecimalSI'],
  ['0.5e-9', 1n, -9, 'DecimalExponent'],
  ['0.9n', 1n, -9, 'DecimalSI'],
  ['0.00000012345', 124n, -9, 'DecimalSI'],
  ['0.00000012354', 124n, -9, 'DecimalSI'],
  ['9Ei', (1n << 63n) - 1n, 0, 'BinarySI'],
  ['9223372036854775807Ki', (1n << 63n) - 1n, 0, 'BinarySI'],
  ['12E', 12n, 18, 'DecimalSI'],
  // Fractional binary values.
  ['100.035Ki', 10243584n, -2, 'BinarySI'],
  ['0.5Mi', 524288n, 0, 'BinarySI'],
  ['0.05Gi', 536870912n, -1, 'BinarySI'],
  ['0.025Ti', 274877906944n, -1, 'BinarySI'],
  // Things written by trolls.
  ['0.000000000001Ki', 2n, -9, 'DecimalSI'],
  ['.001', 1n, -3, 'DecimalSI'],
  ['.0001k', 100n, -3, 'DecimalSI'],
  ['1.', 1n, 0, 'DecimalSI'],
  ['1.G', 1n, 9, 'DecimalSI'],
];

function nanos(m: bigint, e: number): bigint {
  return e + 9 >= 0 ? m * 10n ** BigInt(e + 9) : m / 10n ** BigInt(-(e + 9));
}

describe('parseQuantity', () => {
  for (const [input, m, e, format] of PARSE) {
    it(`parses ${input}`, () => {
      assert.deepEqual(parseQuantity(input), { nanos: nanos(m, e), format });
      const neg = parseQuantity('-' + input);
      assert.equal(neg.nanos, -nanos(m, e));
      assert.equal(parseQuantity('+' + input).nanos, nanos(m, e));
    });
  }

  const WRONG =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  const SUFFIX = "unable to parse quantity's suffix";
  const INVALID: [string, string][] = [
    ['', WRONG],
    ['1.1.M', WRONG],
    ['1+1.0M', WRONG],
    ['0.1mi', SUFFIX],
    ['0.1am', WRONG],
    ['aoeu', WRONG],
    ['.5i', SUFFIX],
    ['1i', SUFFIX],
    ['-3.01i', SUFFIX],
    ['-3.01e-', SUFFIX],
    ['1e4294967297', SUFFIX],
    [' 1', WRONG],
    ['1 ', WRONG],
  ];
  for (const [input, message] of INVALID) {
    it(`rejects ${JSON.stringify(input)}`, () =>
      assert.throws(() => parseQuantity(input), { message }));
  }
});

describe('formatQuantity', () => {
  const EMIT: [string, string][] = [
    ['1Ki', '1Ki'],
    ['1Mi', '1Mi'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1000M', '1G'],
    ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'],
    ['.000000001Ki', '1024n'],
    ['.000000000001Ki', '2n'],
    // TestQuantityString's alternates and their canonical forms.
    ['307200Ki', '300Mi'],
    ['1025024Mi', '1001Gi'],
    ['1024Gi', '1Ti'],
    ['0.001T', '1G'],
    ['1000u', '1m'],
    ['1.08', '1080m'],
    ['1080000000n', '1080m'],
    ['.001e12', '1e9'],
    ['0.001e0', '1e-3'],
    ['1000e-12', '1e-9'],
    ['00', '0'],
    ['1025', '1025'],
    ['3k', '3k'],
    ['1234567M', '1234567M'],
    ['80e-3', '80e-3'],
    ['300e6', '300e6'],
    // Everyday values.
    ['1.5', '1500m'],
    ['0.5Gi', '512Mi'],
    ['1.5Gi', '1536Mi'],
    ['100m', '100m'],
    ['1e3', '1e3'],
    ['2000', '2k'],
    ['9Ei', '9223372036854775807'],
    ['1000E', '1e21'],
  ];
  for (const [input, want] of EMIT) {
    it(`${input} → ${want}`, () => {
      assert.equal(formatQuantity(parseQuantity(input)), want);
      if (want !== '0') assert.equal(formatQuantity(parseQuantity('-' + input)), '-' + want);
    });
  }
});

describe('quantity arithmetic', () => {
  it('compares across suffixes', () => {
    const cmp = (a: string, b: string) => compareQuantities(parseQuantity(a), parseQuantity(b));
    assert.equal(cmp('0', '0'), 0);
    assert.equal(cmp('100m', '50m'), 1);
    assert.equal(cmp('50m', '100m'), -1);
    assert.equal(cmp('10000T', '100Gi'), 1);
    assert.equal(cmp('1', '1000m'), 0);
  });

  const ROUND: [string, number, string][] = [
    ['9.01', -3, '9010m'],
    ['9.01', -2, '9010m'],
    ['9.01', -1, '9100m'],
    ['9.01', 0, '10'],
    ['9.01', 1, '10'],
    ['9.01', 2, '100'],
    ['-9.01', -1, '-9100m'],
    ['-9.01', 0, '-10'],
    ['0.0001', -3, '1m'],
  ];
  for (const [input, scale, want] of ROUND) {
    it(`rounds ${input} up at 10^${scale}`, () => {
      assert.equal(formatQuantity(roundUpQuantity(parseQuantity(input), scale)), want);
    });
  }

  it('milli values round away from zero', () => {
    assert.equal(milliValue(parseQuantity('1.0001')), 1001n);
    assert.equal(milliValue(parseQuantity('2Ki')), 2048000n);
    assert.equal(parseQuantity('1').nanos, N);
  });
});

describe('parseQuantity shares what it parsed', () => {
  it('answers the same text with the same frozen Quantity', () => {
    const a = parseQuantity('250m');
    assert.equal(parseQuantity('250m'), a);
    assert.ok(Object.isFrozen(a));
    assert.throws(() => {
      (a as { nanos: bigint }).nanos = 1n;
    }, TypeError);
    assert.equal(parseQuantity('250m').nanos, 250_000_000n);
  });

  it('still refuses a bad text every time', () => {
    for (let i = 0; i < 2; i++) assert.throws(() => parseQuantity('12x'), QuantityError);
  });
});
