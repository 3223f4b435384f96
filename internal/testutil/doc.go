// Package testutil holds helpers for the tests of arbor's packages:
//
//   - leak checks built on go.uber.org/goleak (VerifyTestMain, VerifyNone);
//   - Script, a scripted actor whose incarnations follow a list of Steps,
//     with a Log of every start and stop in order;
//   - Recorder, a supervisor.Observer that keeps every event;
//   - ObservedLogger, a zap logger whose entries tests can inspect;
//   - Chain, a tree that is one chain of supervisors, of any depth.
//
// The helpers are deterministic under testing/synctest: every wait selects on
// a timer or a channel together with the context, so virtual time drives
// them and synctest.Wait sees them durably blocked. No helper polls with
// time.Sleep; tests wait with synctest.Wait.
package testutil
