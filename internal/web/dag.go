package web

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// Geometry of the job graph, in SVG user units (pixels).
const (
	dagNodeW  = 176
	dagNodeH  = 48
	dagColGap = 56
	dagRowGap = 16
	dagPad    = 12
	dagLabel  = 20 // runes of a job id shown in its box
)

// dagLayout is a run's job graph placed for drawing: jobs in columns by
// the depth of their needs, edges from each need to its dependant.
type dagLayout struct {
	Width, Height int
	Nodes         []dagNode
	Edges         []dagEdge
}

type dagNode struct {
	ID, Label, Status string
	Col, Row          int
	X, Y, W, H        int
	// TextX, TextY place the id; StatusY the status line under it.
	TextX, TextY, StatusY int
}

type dagEdge struct {
	From, To string
	// Path is the SVG path of the edge (a cubic curve).
	Path string
}

// layoutDAG places jobs deterministically: a job's column is one more
// than the deepest of its needs (needs naming no job of the run are
// ignored; a cycle, which a stored run cannot have, is cut). Within a
// column jobs are ordered by the mean row of their needs, then by their
// order in the run, which keeps most edges from crossing.
func layoutDAG(jobs []apiJob) *dagLayout {
	if len(jobs) == 0 {
		return nil
	}
	index := map[string]int{}
	for i, j := range jobs {
		if _, dup := index[j.ID]; !dup {
			index[j.ID] = i
		}
	}
	depth := make([]int, len(jobs))
	state := make([]int, len(jobs)) // 0 new, 1 on the path, 2 done
	var visit func(i int) int
	visit = func(i int) int {
		switch state[i] {
		case 1:
			return -1 // a cycle: this edge does not count
		case 2:
			return depth[i]
		}
		state[i] = 1
		d := 0
		for _, n := range jobs[i].Needs {
			if k, ok := index[n]; ok && k != i {
				if nd := visit(k); nd >= 0 && nd+1 > d {
					d = nd + 1
				}
			}
		}
		depth[i], state[i] = d, 2
		return d
	}
	cols := 0
	for i := range jobs {
		cols = max(cols, visit(i)+1)
	}
	columns := make([][]int, cols)
	for i := range jobs {
		if index[jobs[i].ID] == i {
			columns[depth[i]] = append(columns[depth[i]], i)
		}
	}
	row := make([]int, len(jobs))
	for c, col := range columns {
		if c > 0 {
			key := map[int]float64{}
			for _, i := range col {
				sum, n := 0.0, 0
				for _, need := range jobs[i].Needs {
					if k, ok := index[need]; ok && depth[k] < depth[i] {
						sum += float64(row[k])
						n++
					}
				}
				if n > 0 {
					key[i] = sum / float64(n)
				}
			}
			slices.SortStableFunc(col, func(a, b int) int {
				switch {
				case key[a] < key[b]:
					return -1
				case key[a] > key[b]:
					return 1
				}
				return a - b
			})
		}
		for r, i := range col {
			row[i] = r
		}
	}
	l := &dagLayout{}
	rows := 0
	pos := map[string]dagNode{}
	for c, col := range columns {
		rows = max(rows, len(col))
		for _, i := range col {
			j := jobs[i]
			x, y := dagPad+c*(dagNodeW+dagColGap), dagPad+row[i]*(dagNodeH+dagRowGap)
			n := dagNode{ID: j.ID, Label: truncate(j.ID, dagLabel), Status: j.Status, Col: c, Row: row[i],
				X: x, Y: y, W: dagNodeW, H: dagNodeH, TextX: x + 12, TextY: y + 20, StatusY: y + 38}
			l.Nodes = append(l.Nodes, n)
			pos[j.ID] = n
		}
	}
	for i, j := range jobs {
		if index[j.ID] != i {
			continue
		}
		to := pos[j.ID]
		for _, need := range j.Needs {
			from, ok := pos[need]
			if !ok || from.Col >= to.Col {
				continue
			}
			x1, y1 := from.X+from.W, from.Y+from.H/2
			x2, y2 := to.X, to.Y+to.H/2
			mx := (x1 + x2) / 2
			l.Edges = append(l.Edges, dagEdge{From: need, To: j.ID, Path: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mx, y1, mx, y2, x2, y2)})
		}
	}
	l.Width = 2*dagPad + cols*dagNodeW + (cols-1)*dagColGap
	l.Height = 2*dagPad + rows*dagNodeH + (rows-1)*dagRowGap
	return l
}

// truncate shortens s to n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
