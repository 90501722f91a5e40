// Package dag schedules jobs by readiness: a job may start as soon as every job
// it needs is done, with no level barriers. The graph is immutable; the state
// of each job lives outside it (in the engine and the store), so a restarted
// process resumes by asking Ready again with what the store says is done.
package dag

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Graph is a validated, acyclic set of jobs and their needs.
type Graph struct {
	ids   []string            // in the order given to Build
	index map[string]int      // id -> position in ids
	needs map[string][]string // id -> ids it needs
	// dependents maps id -> ids that need it, in ids order.
	dependents map[string][]string
}

// UnknownNeedError says a job needs an id that is not in the graph.
type UnknownNeedError struct {
	Job, Need string
}

func (e *UnknownNeedError) Error() string {
	return fmt.Sprintf("job %q needs unknown job %q", e.Job, e.Need)
}

// CycleError names a dependency cycle as a path that starts and ends with the
// same id.
type CycleError struct {
	Path []string
}

func (e *CycleError) Error() string {
	return "dependency cycle: " + strings.Join(e.Path, " -> ")
}

// DuplicateError says an id was given twice.
type DuplicateError struct {
	ID string
}

func (e *DuplicateError) Error() string { return fmt.Sprintf("duplicate job id %q", e.ID) }

// Build checks ids and needs and returns the graph. It fails on a duplicate
// id, a need that names no job, or a cycle (the first one found, by id order).
func Build(ids []string, needs map[string][]string) (*Graph, error) {
	g := &Graph{
		ids:        append([]string(nil), ids...),
		index:      make(map[string]int, len(ids)),
		needs:      make(map[string][]string, len(ids)),
		dependents: make(map[string][]string, len(ids)),
	}
	for i, id := range ids {
		if _, dup := g.index[id]; dup {
			return nil, &DuplicateError{ID: id}
		}
		g.index[id] = i
	}
	for _, id := range ids {
		seen := map[string]bool{}
		for _, n := range needs[id] {
			if _, ok := g.index[n]; !ok {
				return nil, &UnknownNeedError{Job: id, Need: n}
			}
			if seen[n] {
				continue
			}
			seen[n] = true
			g.needs[id] = append(g.needs[id], n)
			g.dependents[n] = append(g.dependents[n], id)
		}
	}
	if cycles := Cycles(ids, needs); len(cycles) > 0 {
		return nil, &CycleError{Path: cycles[0]}
	}
	return g, nil
}

// IDs returns the job ids in the order given to Build.
func (g *Graph) IDs() []string { return append([]string(nil), g.ids...) }

// Needs returns the ids the job needs.
func (g *Graph) Needs(id string) []string { return g.needs[id] }

// Dependents returns the ids of jobs that directly need id.
func (g *Graph) Dependents(id string) []string { return g.dependents[id] }

// Ready returns, in Build order, the jobs that have not started and whose
// needs are all done. started reports whether a job was started (or decided)
// already; done whether it reached an end state.
func (g *Graph) Ready(started, done func(id string) bool) []string {
	var out []string
	for _, id := range g.ids {
		if started(id) {
			continue
		}
		ok := true
		for _, n := range g.needs[id] {
			if !done(n) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, id)
		}
	}
	return out
}

// Ancestors returns ids together with every job they need, transitively, in
// Build order. Unknown ids are ignored.
func (g *Graph) Ancestors(ids []string) []string {
	keep := map[string]bool{}
	var visit func(string)
	visit = func(id string) {
		if keep[id] {
			return
		}
		keep[id] = true
		for _, n := range g.needs[id] {
			visit(n)
		}
	}
	for _, id := range ids {
		if _, ok := g.index[id]; ok {
			visit(id)
		}
	}
	var out []string
	for _, id := range g.ids {
		if keep[id] {
			out = append(out, id)
		}
	}
	return out
}

// Cycles returns every dependency cycle among the jobs, one per strongly
// connected component, each as a path that starts and ends with the same id,
// e.g. [a b c a]. A job that needs itself is the cycle [a a]. needs maps id ->
// ids it needs; ids not in ids are ignored. The result is deterministic: cycles
// are ordered by their first job's position in ids, and each path starts at
// the earliest job of its component.
func Cycles(ids []string, needs map[string][]string) [][]string {
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		if _, dup := index[id]; !dup {
			index[id] = i
		}
	}
	// Tarjan's strongly connected components, iterative-safe for realistic
	// sizes via recursion over at most len(ids) frames.
	var (
		counter int
		order   = map[string]int{}
		low     = map[string]int{}
		onStack = map[string]bool{}
		stack   []string
		comps   [][]string
	)
	var strong func(v string)
	strong = func(v string) {
		order[v] = counter
		low[v] = counter
		counter++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range needs[v] {
			if _, ok := index[w]; !ok {
				continue
			}
			if _, seen := order[w]; !seen {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], order[w])
			}
		}
		if low[v] == order[v] {
			var comp []string
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			comps = append(comps, comp)
		}
	}
	for _, id := range ids {
		if _, seen := order[id]; !seen {
			strong(id)
		}
	}

	var cycles [][]string
	for _, comp := range comps {
		if len(comp) == 1 && !slices.Contains(needs[comp[0]], comp[0]) {
			continue
		}
		sort.Slice(comp, func(i, j int) bool { return index[comp[i]] < index[comp[j]] })
		cycles = append(cycles, cyclePath(comp, needs, index))
	}
	sort.Slice(cycles, func(i, j int) bool { return index[cycles[i][0]] < index[cycles[j][0]] })
	return cycles
}

// cyclePath finds a concrete cycle through comp's first member, following
// needs inside the component (breadth-first, so the path is a shortest one).
func cyclePath(comp []string, needs map[string][]string, index map[string]int) []string {
	in := make(map[string]bool, len(comp))
	for _, c := range comp {
		in[c] = true
	}
	start := comp[0]
	prev := map[string]string{}
	queue := []string{start}
	visited := map[string]bool{}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		next := append([]string(nil), needs[v]...)
		sort.SliceStable(next, func(i, j int) bool { return index[next[i]] < index[next[j]] })
		for _, w := range next {
			if !in[w] {
				continue
			}
			if w == start {
				path := []string{start}
				for u := v; u != start; u = prev[u] {
					path = append(path, u)
				}
				// path is start, v, ..., reversed order of discovery; rebuild forward.
				fwd := []string{start}
				for i := len(path) - 1; i >= 1; i-- {
					fwd = append(fwd, path[i])
				}
				return append(fwd, start)
			}
			if !visited[w] {
				visited[w] = true
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return append(append([]string(nil), comp...), start)
}
