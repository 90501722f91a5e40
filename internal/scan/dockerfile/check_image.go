package dockerfile

import (
	"strings"
)

// checkFrom checks a stage's base image: a tag, not latest, a digest. A
// stage built FROM an earlier stage, FROM scratch, and an image that
// still holds a variable without a default are not checked.
func (a *analyzer) checkFrom(st *stage) {
	if st.parent != nil || !st.resolved || strings.EqualFold(st.image, "scratch") {
		return
	}
	ref := parseImageRef(st.image)
	switch {
	case ref.digest != "":
	case ref.tag == "":
		a.report(st.from, ruleUntaggedImage, "FROM "+st.image+" names no tag, so the build uses whatever latest is today")
	case ref.tag == "latest":
		a.report(st.from, ruleLatestTag, "FROM "+st.image+" uses the mutable latest tag")
	default:
		a.report(st.from, ruleNoDigest, "FROM "+st.image+" is pinned by tag only; tags can be re-pushed")
	}
}

// imageRef is an image reference split into its parts.
type imageRef struct {
	name, tag, digest string
}

// parseImageRef splits name[:tag][@digest]; a colon before the last slash
// is a registry port, not a tag.
func parseImageRef(s string) imageRef {
	var r imageRef
	s, r.digest, _ = strings.Cut(s, "@")
	r.name = s
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		r.name, r.tag = s[:i], s[i+1:]
	}
	return r
}
