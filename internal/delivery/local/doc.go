// Package local is the local deploy target of progressive delivery: it runs
// the replicas of a release as supervised processes listening on loopback
// ports, checks their health over HTTP and stops them.
//
// A replica is started from the deploy: section of sluice.yaml. Its run: list
// is an argv; Start replaces ${PORT}, ${ARTIFACT}, ${VERSION} (and any other
// name in Spec.Vars) inside its elements literally (see Expand), never through
// a shell. A run: written as one string is parsed as ["sh", "-c", string]; the
// shell text is left alone and the same values reach it as the environment
// variables PORT, ARTIFACT and VERSION instead, so the script reads "$PORT"
// and an untrusted value (a branch name in a version, say) is never
// interpolated into shell text.
//
// Every replica runs in its own session (setsid): it survives the death of the
// sluice process that started it, so a restarted control plane adopts it again
// from the stored Instance (Alive, Stop and WaitHealthy work on processes that
// are not children of the caller). A process is named by its pid and its start
// time in clock ticks, so a pid reused by an unrelated process is never
// mistaken for the replica, and never signalled.
//
// Linux is the supported platform; elsewhere Start and Stop return
// ErrNotSupported.
package local
