// Issue 8, "done when": every diagnosis id a server-side condition can cause is reachable from a lab
// fault, or DIAGNOSIS_REACHABILITY says why not. test/e2e/faults.test.ts runs the fault entries.
import { describe, expect, it } from 'vitest';
import { CATALOG, catalogEntry } from '../../src/diagnosis/catalog.js';
import { DIAGNOSIS_REACHABILITY, LAB_FAULTS, parseFaultSpec } from '../../src/lab/faults.js';

const namedByFaults = new Set(LAB_FAULTS.flatMap((fault) => [fault.expectedDiagnosisId, ...fault.alsoAcceptable]).filter((id): id is string => id !== null));

describe('diagnosis reachability from the lab', () => {
  it('accounts for every catalog id: named by a lab fault, reached by a listed fault, or exempt with a reason', () => {
    const missing = CATALOG.map((entry) => entry.id).filter((id) => !namedByFaults.has(id) && DIAGNOSIS_REACHABILITY[id] === undefined);
    expect(missing).toEqual([]);
  });

  it('lists only catalog ids, and none that a lab fault already names', () => {
    for (const id of Object.keys(DIAGNOSIS_REACHABILITY)) {
      expect(catalogEntry(id), id).toBeDefined();
      expect(namedByFaults.has(id), `${id} is already named by a lab fault: drop it from DIAGNOSIS_REACHABILITY`).toBe(false);
    }
  });

  it('gives each exemption a reason and each route a fault the lab knows', () => {
    for (const [id, how] of Object.entries(DIAGNOSIS_REACHABILITY)) {
      if ('exempt' in how) expect(how.exempt.length, id).toBeGreaterThan(20);
      else expect(() => parseFaultSpec(how.fault), id).not.toThrow();
    }
  });
});
