package dockerfile

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-ci/sluice/internal/findings"
)

// digest is a well-formed digest for test images.
const digest = "@sha256:4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"

// TestRuleCases checks the edges of each rule on small Dockerfiles. want
// holds "line rule" for the rules in only (every rule when only is empty).
func TestRuleCases(t *testing.T) {
	imageRules := []string{ruleLatestTag, ruleUntaggedImage, ruleNoDigest}
	runRules := []string{rulePipefail, ruleCurlPipeShell, ruleSudo, ruleCdInRun, ruleWorldWritable}
	pkgRules := []string{ruleAptUnpinned, ruleAptRecommends, ruleAptLists, ruleAptUpgrade, ruleApkUnpinned,
		ruleApkCache, rulePipUnpinned, rulePipCache, ruleNpmUnpinned}
	cases := []struct {
		name string
		file string
		only []string
		want []string
	}{
		{"no USER in the final stage", "FROM alpine:3.20" + digest + "\nHEALTHCHECK NONE\n", nil,
			[]string{"1 " + ruleRootUser}},
		{"nonroot base image", "FROM gcr.io/distroless/static:nonroot" + digest + "\nHEALTHCHECK NONE\n", nil, nil},
		{"root then non-root", "FROM alpine:3.20" + digest + "\nUSER root\nRUN true\nUSER app\nHEALTHCHECK NONE\n", nil, nil},
		{"root by uid with group", "FROM alpine:3.20" + digest + "\nUSER 0:0\nHEALTHCHECK NONE\n", nil,
			[]string{"2 " + ruleRootUser}},
		{"USER and HEALTHCHECK inherited from a parent stage",
			"FROM alpine:3.20" + digest + " AS base\nUSER app\nHEALTHCHECK CMD [\"true\"]\nFROM base\nRUN true\n", nil, nil},
		{"root user in an earlier stage only", "FROM alpine:3.20" + digest + " AS b\nUSER root\nFROM scratch\nUSER 1000\nHEALTHCHECK NONE\n", nil, nil},
		{"ARG default with a digest", "ARG IMG=alpine:3.20" + digest + "\nFROM $IMG\n", imageRules, nil},
		{"ARG in the tag", "ARG V=1.22\nFROM golang:${V}-alpine\n", imageRules, []string{"2 " + ruleNoDigest}},
		{"ARG default referring to another", "ARG V=latest\nARG IMG=golang:${V}\nFROM ${IMG}\n", imageRules, []string{"3 " + ruleLatestTag}},
		{"ARG without a default", "ARG IMG\nFROM ${IMG}\n", imageRules, nil},
		{"platform flag", "FROM --platform=$BUILDPLATFORM golang:1.22 AS b\n", imageRules, []string{"1 " + ruleNoDigest}},
		{"registry port is not a tag", "FROM localhost:5000/app\nFROM localhost:5000/app:1.0\n", imageRules,
			[]string{"1 " + ruleUntaggedImage, "2 " + ruleNoDigest}},
		{"latest pinned by digest", "FROM alpine:latest" + digest + "\n", imageRules, nil},
		{"stage alias, any case", "FROM alpine:3.20" + digest + " AS Builder\nFROM builder\n", imageRules, nil},
		{"scratch", "FROM scratch\n", imageRules, nil},
		{"set -euo pipefail", "FROM a:1\nRUN set -euo pipefail; curl -s x | tar -x\n", runRules, nil},
		{"set -o pipefail after the pipe", "FROM a:1\nRUN curl -s x | tar -x; set -o pipefail\n", runRules, []string{"2 " + rulePipefail}},
		{"SHELL with -eo pipefail", "FROM a:1\nSHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN curl -s x | tar -x\n", runRules, nil},
		{"SHELL of a parent stage", "FROM a:1 AS p\nSHELL [\"bash\", \"-o\", \"pipefail\", \"-c\"]\nFROM p\nRUN a | b\n", runRules, nil},
		{"SHELL reset in a new stage", "FROM a:1 AS p\nSHELL [\"bash\", \"-o\", \"pipefail\", \"-c\"]\nFROM a:1\nRUN a | b\n", runRules,
			[]string{"4 " + rulePipefail}},
		{"powershell", "FROM a:1\nSHELL [\"pwsh\", \"-Command\"]\nRUN Get-Item x | Remove-Item\n", runRules, nil},
		{"|| is not a pipe", "FROM a:1\nRUN test -f x || exit 1\n", runRules, nil},
		{"quoted pipe", "FROM a:1\nRUN echo 'a | sh' \"b | bash\"\n", runRules, nil},
		{"pipe in a substitution", "FROM a:1\nRUN echo $(ls | wc -l)\n", runRules, nil},
		{"curl piped to python -c", "FROM a:1\nRUN curl -s x | python3 -c 'import json,sys; json.load(sys.stdin)'\n", runRules,
			[]string{"2 " + rulePipefail}},
		{"curl piped to python", "FROM a:1\nRUN curl -s x | python3 -\n", runRules,
			[]string{"2 " + ruleCurlPipeShell, "2 " + rulePipefail}},
		{"bash with process substitution", "FROM a:1\nRUN bash <(curl -s https://x/install)\n", runRules,
			[]string{"2 " + ruleCurlPipeShell}},
		{"download then run without check", "FROM a:1\nRUN curl -so i.sh x && sh i.sh\n", runRules, nil},
		{"exec form through sh -c", "FROM a:1\nRUN [\"/bin/sh\", \"-c\", \"curl -s x | sh\"]\n", runRules,
			[]string{"2 " + ruleCurlPipeShell, "2 " + rulePipefail}},
		{"exec form with pipefail", "FROM a:1\nRUN [\"bash\", \"-o\", \"pipefail\", \"-c\", \"a | b\"]\n", runRules, nil},
		{"sudo with options", "FROM a:1\nRUN FOO=1 sudo -u app -E make install\n", runRules, []string{"2 " + ruleSudo}},
		{"cd in a subshell", "FROM a:1\nRUN (cd sub && make)\n", runRules, []string{"2 " + ruleCdInRun}},
		{"chmod modes", "FROM a:1\nRUN chmod o+w f\nRUN chmod a=rwx f\nRUN chmod 0666 f\nRUN chmod u+x,g-w f\nRUN chmod +t d\nRUN chmod 1777 /tmp\nRUN chmod --reference=a 777\n",
			runRules, []string{"2 " + ruleWorldWritable, "3 " + ruleWorldWritable, "4 " + ruleWorldWritable}},
		{"apt exec form", "FROM a:1\nRUN [\"apt-get\", \"install\", \"-y\", \"curl\"]\n", pkgRules,
			[]string{"2 " + ruleAptRecommends, "2 " + ruleAptUnpinned}},
		{"apt recommends off by option", "FROM a:1\nRUN apt-get install -y -o APT::Install-Recommends=false curl=8.0 ./local.deb\n", pkgRules, nil},
		{"apt lists in a cache mount", "FROM a:1\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n", pkgRules, nil},
		{"apt lists of a parent stage", "FROM a:1 AS base\nRUN apt-get update\nFROM base\n", pkgRules, []string{"2 " + ruleAptLists}},
		{"apt lists of an unrelated stage", "FROM a:1 AS base\nRUN apt-get update\nFROM a:1\n", pkgRules, nil},
		{"apt package from a variable", "FROM a:1\nRUN apt-get install -y --no-install-recommends $PKGS\n", pkgRules, nil},
		{"apk virtual and repository", "FROM a:1\nRUN apk add --no-cache --virtual .deps -X http://r/main gcc=13.2.1-r0\n", pkgRules, nil},
		{"apk cache removed", "FROM a:1\nRUN apk add curl=8.0-r0 && rm -rf /var/cache/apk/*\n", pkgRules, nil},
		{"pip requirements", "FROM a:1\nRUN pip3 install --no-cache-dir -r req.txt -c constraints.txt .\n", pkgRules, nil},
		{"pip specifiers", "FROM a:1\nRUN pip install --no-cache-dir 'a>=1,<2' b~=1.0 c[extra]==2 d@https://x/d.whl ./e.whl\n", pkgRules, nil},
		{"pip extra unpinned", "FROM a:1\nRUN pip install --no-cache-dir --index-url https://i/simple c[extra]\n", pkgRules,
			[]string{"2 " + rulePipUnpinned}},
		{"pip cache off by ENV", "FROM a:1\nENV PIP_NO_CACHE_DIR=1\nRUN pip install a==1\n", pkgRules, nil},
		{"pip show is not install", "FROM a:1\nRUN pip show requests\n", pkgRules, nil},
		{"npm ci and scoped", "FROM a:1\nRUN npm ci && npm install @scope/pkg@2.1.0 ./local git+https://x/y.git\n", pkgRules, nil},
		{"npm scoped without version", "FROM a:1\nRUN npm i -g @scope/pkg\n", pkgRules, []string{"2 " + ruleNpmUnpinned}},
		{"apt upgrade", "FROM a:1\nRUN apt upgrade -y\n", pkgRules, []string{"2 " + ruleAptUpgrade}},
		{"secret names", "FROM a:1\nENV GPG_KEY=ABCDEF TOKENIZERS_PARALLELISM=false PASSWORD_LENGTH=12 PWD=/x SECRET_NAME=db\n" +
			"ENV AUTH_ENABLED=true\nARG NPM_TOKEN\nARG DB_PASS=\nENV SECRET_KEY_BASE=abc123\nENV MYSQL_ROOT_PASSWORD secret123\n" +
			"ARG GITHUB_TOKEN=\"${CI_TOKEN}\"\nARG STRIPE_API_KEY=sk_test_123\nENV DB_PWD=x1\n",
			[]string{ruleSecretEnv}, []string{"6 " + ruleSecretEnv, "7 " + ruleSecretEnv, "9 " + ruleSecretEnv, "10 " + ruleSecretEnv}},
		{"global ARG secret", "ARG AWS_SECRET_ACCESS_KEY=abc\nFROM a:1\n", []string{ruleSecretEnv}, []string{"1 " + ruleSecretEnv}},
		{"workdir forms", "FROM a:1\nWORKDIR $HOME/app\nWORKDIR C:\\\\app\nWORKDIR \"/srv\"\nWORKDIR app\n",
			[]string{ruleRelativeWorkdir}, []string{"5 " + ruleRelativeWorkdir}},
		{"expose forms", "FROM a:1\nENV SSH=22\nEXPOSE 20-25\nEXPOSE $SSH/tcp\nEXPOSE 2222 80/udp\nEXPOSE 1-70000\n",
			[]string{ruleExposeSSH, ruleInvalidPort}, []string{"3 " + ruleExposeSSH, "4 " + ruleExposeSSH, "6 " + ruleInvalidPort}},
		{"add forms", "FROM a:1\nADD [\"a.txt\", \"/b/\"]\nADD git@github.com:x/y.git /src\nADD --chown=1:1 x.tgz y.tar.xz /o/\nADD $SRC /o/\n",
			[]string{ruleAddLocal, ruleAddURL}, []string{"2 " + ruleAddLocal, "3 " + ruleAddURL}},
		{"cmd forms", "FROM a:1\nCMD [\"a\"]\nENTRYPOINT [\"b\", \"c\"]\nCMD []\nCMD echo hi\n",
			[]string{ruleShellFormCmd}, []string{"5 " + ruleShellFormCmd}},
		{"global ignore", "# hadolint global ignore=DL3006\nFROM node\nFROM python\n", imageRules,
			[]string{"2 " + ruleUntaggedImage + " ignored", "3 " + ruleUntaggedImage + " ignored"}},
		{"bare sluice:ignore", "FROM a:1\n# sluice:ignore\nRUN sudo curl x | sh\n", runRules,
			[]string{"3 " + ruleCurlPipeShell + " ignored", "3 " + rulePipefail + " ignored", "3 " + ruleSudo + " ignored"}},
		{"ignore by sluice id, with a trailing comment", "FROM a:1\n# sluice:ignore dockerfile-sudo # reviewed\nRUN sudo cd /x\n", runRules,
			[]string{"3 " + ruleCdInRun, "3 " + ruleSudo + " ignored"}},
		{"ignore list with spaces", "FROM a:1\n# hadolint ignore=DL3004, DL3003\nRUN sudo cd /x\n", runRules,
			[]string{"3 " + ruleCdInRun + " ignored", "3 " + ruleSudo + " ignored"}},
		{"ignore separated by a blank line does not apply", "FROM a:1\n# hadolint ignore=DL3004\n\nRUN sudo true\n", runRules,
			[]string{"4 " + ruleSudo}},
		{"ignore among other comments", "FROM a:1\n# hadolint ignore=DL3004\n# why: the base image needs it\nRUN sudo true\n", runRules,
			[]string{"4 " + ruleSudo + " ignored"}},
		{"ignore does not reach the next instruction", "FROM a:1\n# hadolint ignore=DL3004\nRUN sudo true\nRUN sudo true\n", runRules,
			[]string{"3 " + ruleSudo + " ignored", "4 " + ruleSudo}},
		{"escape directive", "# escape=`\nFROM a:1\nRUN curl -s x `\n  | sh\n", runRules,
			[]string{"3 " + ruleCurlPipeShell, "3 " + rulePipefail}},
		{"ignore on the final FROM", "# hadolint ignore=DL3002\n# sluice:ignore dockerfile-missing-healthcheck\nFROM a:1" + digest + "\n",
			[]string{ruleRootUser, ruleNoHealthcheck}, []string{"3 " + ruleNoHealthcheck + " ignored", "3 " + ruleRootUser + " ignored"}},
		{"heredoc with a python shebang", "FROM a:1\nRUN <<EOF\n#!/usr/bin/env python3\nimport os | sh\nEOF\n", runRules, nil},
		{"heredoc with a bash shebang", "FROM a:1\nRUN <<EOF\n#!/bin/bash\ncurl x | sh\nEOF\n", runRules,
			[]string{"2 " + ruleCurlPipeShell, "2 " + rulePipefail}},
		{"heredoc fed to python", "FROM a:1\nRUN python3 <<EOF\nprint(1) | sh\nEOF\n", runRules, nil},
		{"onbuild is not checked", "FROM a:1\nONBUILD RUN sudo true\n", runRules, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := analyze("Dockerfile", []byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var gotRules []string
			for _, f := range fs {
				if len(tc.only) == 0 && f.RuleID != ruleNoHealthcheck && f.RuleID != ruleNoDigest && f.RuleID != ruleUntaggedImage ||
					slices.Contains(tc.only, f.RuleID) {
					gotRules = append(gotRules, lineRule(f))
				}
			}
			slices.Sort(gotRules)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if diff := cmp.Diff(want, gotRules); diff != "" {
				t.Errorf("findings (-want +got):\n%s\nin:\n%s", diff, tc.file)
			}
		})
	}
}

// TestMalformed checks that a broken Dockerfile is an error naming its
// line, never a panic or a silent empty result.
func TestMalformed(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"empty", "", "no instructions"},
		{"only comments", "# nothing\n\n", "no instructions"},
		{"unknown instruction", "FROM a:1\nFORM b\n", "line 2: unknown instruction FORM"},
		{"instruction before FROM", "RUN true\nFROM a:1\n", "line 1: RUN before the first FROM"},
		{"no FROM", "ARG A=1\n", "no FROM"},
		{"FROM without image", "FROM\n", "line 1"},
		{"FROM with a dangling AS", "FROM a:1 AS\n", "line 1: FROM takes"},
		{"FROM with junk", "FROM a:1 b c\n", "line 1: FROM takes"},
		{"unterminated heredoc", "FROM a:1\nRUN <<EOF\necho hi\n", "unterminated heredoc"},
		{"bad ENV", "FROM a:1\nENV A=1 B\n", "line 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := analyze("Dockerfile", []byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %d findings; want an error containing %q", err, len(fs), tc.want)
			}
		})
	}
}

// TestSnippet checks that long instructions are cut, on a character
// boundary, and marked as cut.
func TestSnippet(t *testing.T) {
	long := "FROM a:1\nRUN sudo true \\\n" + strings.Repeat(" && echo \\\n", 30) + " && true\n"
	fs, err := analyze("Dockerfile", []byte(long))
	if err != nil {
		t.Fatal(err)
	}
	sudo := fs[slices.IndexFunc(fs, func(f findings.Finding) bool { return f.RuleID == ruleSudo })]
	if n := strings.Count(sudo.Snippet, "\n"); n != 12 || !strings.HasSuffix(sudo.Snippet, "\n…") || sudo.Location.EndLine != 33 {
		t.Errorf("snippet of %d lines ending %q, end line %d", n, sudo.Snippet[len(sudo.Snippet)-10:], sudo.Location.EndLine)
	}
	wide := "FROM a:1\nRUN sudo echo " + strings.Repeat("é", 1500) + "\n"
	fs, err = analyze("Dockerfile", []byte(wide))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if !utf8.ValidString(f.Snippet) || len(f.Snippet) > 2010 {
			t.Errorf("%s: snippet of %d bytes, valid UTF-8 %v", f.RuleID, len(f.Snippet), utf8.ValidString(f.Snippet))
		}
	}
}

// TestMarkerKeepsTheFinding checks that an ignore comment turns a finding
// into the same finding marked InlineIgnored: same rule, severity and
// fingerprint.
func TestMarkerKeepsTheFinding(t *testing.T) {
	sudo := func(file string) findings.Finding {
		t.Helper()
		fs, err := analyze("Dockerfile", []byte(file))
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(fs, func(f findings.Finding) bool { return f.RuleID == ruleSudo })
		if i < 0 {
			t.Fatalf("no %s finding in\n%s", ruleSudo, file)
		}
		return fs[i]
	}
	plain := sudo("FROM a:1\nRUN sudo true\n")
	for _, marker := range []string{"# sluice:ignore", "# sluice:ignore dockerfile-sudo", "# hadolint ignore=DL3004", "# hadolint global ignore=DL3004"} {
		marked := sudo("FROM a:1\n" + marker + "\nRUN sudo true\n")
		if plain.InlineIgnored || !marked.InlineIgnored {
			t.Errorf("%s: InlineIgnored %v without it, %v with it", marker, plain.InlineIgnored, marked.InlineIgnored)
		}
		if findings.Fingerprint(&plain) != findings.Fingerprint(&marked) || plain.Severity != marked.Severity || plain.Snippet != marked.Snippet {
			t.Errorf("%s: the marker changes the finding:\nplain  %+v\nmarked %+v", marker, plain, marked)
		}
	}
}
