// Package sbom describes what a scanned path or container image is made
// of (an Inventory of components) and writes it as a software bill of
// materials in CycloneDX JSON or XML.
package sbom

import (
	"strings"
	"time"
)

// SubjectKind says what was inventoried.
type SubjectKind string

// Subject kinds.
const (
	SubjectImage SubjectKind = "image"
	SubjectPath  SubjectKind = "path"
)

// Subject is the thing an inventory describes: an image or a folder.
type Subject struct {
	Kind SubjectKind
	// Name is the image reference (or the archive's image name) or the
	// scanned path.
	Name string
	// Digest is the image's manifest digest ("sha256:…"); "" for paths.
	Digest string
}

// ComponentType is the CycloneDX type of a component.
type ComponentType string

// Component types sluice produces.
const (
	Library         ComponentType = "library"
	Application     ComponentType = "application"
	OperatingSystem ComponentType = "operating-system"
)

// Hash algorithms, named as CycloneDX names them.
const (
	SHA256 = "SHA-256"
	SHA1   = "SHA-1"
)

// Hash is one checksum of a component.
type Hash struct {
	Algorithm string
	// Value is lowercase hex.
	Value string
}

// Component is one package, application or operating system found in the
// subject.
type Component struct {
	// Ref identifies the component inside the inventory (CycloneDX
	// bom-ref); DependsOn entries name Refs. When empty, Write uses the
	// purl, made unique if two components share one.
	Ref  string
	Type ComponentType
	Name string
	// Version as the ecosystem spells it ("3.0.11-1~deb12u2", "v1.2.3").
	Version string
	// Ecosystem is OSV's name of the ecosystem ("Debian:12", "npm", "Go");
	// it chooses the purl type when PURL is empty.
	Ecosystem string
	// PURL is the package URL; when empty, Write derives one from
	// Ecosystem, Name and Version (see PURLFor).
	PURL string
	// Licenses are SPDX identifiers or expressions, or free-form names.
	Licenses []string
	Hashes   []Hash
	// Path is the file the component was found in (a package database, a
	// lockfile, a binary), relative to the subject's root with forward
	// slashes; for images, absolute inside the image.
	Path string
	// Layer is the digest of the image layer that last wrote Path.
	Layer string
	// DependsOn lists the Refs of components this one depends on.
	DependsOn []string
	// Properties are extra facts ("source_package" …); Write prefixes
	// their names with "sluice:".
	Properties map[string]string
}

// Inventory is everything found in one subject. The image scanner
// produces one with image.Inventory; a filesystem scan produces one from
// the packages its lockfile parsers found.
type Inventory struct {
	Subject    Subject
	Components []Component
	// Created is when the inventory was taken; zero means when it is
	// written.
	Created time.Time
	// ToolVersion is sluice's version, recorded as the SBOM's tool.
	ToolVersion string
}

// Formats Write accepts.
const (
	CycloneDXJSON = "cyclonedx-json"
	CycloneDXXML  = "cyclonedx-xml"
)

// Formats lists the formats Write accepts, the default first.
func Formats() []string { return []string{CycloneDXJSON, CycloneDXXML} }

// propertyPrefix namespaces sluice's CycloneDX properties.
const propertyPrefix = "sluice:"

// isUnversioned says whether a version is a placeholder rather than a
// real version.
func isUnversioned(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || v == "(devel)"
}
