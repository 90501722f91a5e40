// Package sarif reads and writes SARIF 2.1.0, the interchange format of
// static analysis tools, in the shape GitHub code scanning and other
// consumers accept: WriteSARIF turns sluice findings and scanner health into
// a log with one run per scanner; ReadSARIF turns any tool's log into
// findings.
package sarif

// The SARIF shapes the writer emits. Field order is the order in the
// output; optional members are omitted when empty.

// Version is the SARIF version read and written.
const Version = "2.1.0"

// SchemaURI is the published location of the SARIF 2.1.0 schema.
const SchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// SrcRoot is the uriBaseId of paths relative to the scanned folder.
const SrcRoot = "%SRCROOT%"

type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []run  `json:"runs"`
}

type run struct {
	Tool               tool                        `json:"tool"`
	Invocations        []invocation                `json:"invocations,omitempty"`
	OriginalURIBaseIDs map[string]artifactLocation `json:"originalUriBaseIds,omitempty"`
	AutomationDetails  *automationDetails          `json:"automationDetails,omitempty"`
	Results            []result                    `json:"results"`
}

type tool struct {
	Driver component `json:"driver"`
}

type component struct {
	Name           string `json:"name"`
	FullName       string `json:"fullName,omitempty"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri,omitempty"`
	Rules          []rule `json:"rules,omitempty"`
}

type automationDetails struct {
	ID string `json:"id"`
}

type rule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     *text          `json:"shortDescription,omitempty"`
	FullDescription      *text          `json:"fullDescription,omitempty"`
	Help                 *text          `json:"help,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration *configuration `json:"defaultConfiguration,omitempty"`
	Properties           map[string]any `json:"properties,omitempty"`
}

// text is a message or a multiformatMessageString.
type text struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type configuration struct {
	Level string `json:"level"`
}

type result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             text              `json:"message"`
	Locations           []location        `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Suppressions        []suppression     `json:"suppressions,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

// suppression is SARIF's suppression object (§3.35); the writer emits
// only inSource ones, without a status (which means accepted).
type suppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

type location struct {
	PhysicalLocation *physicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []logicalLocation `json:"logicalLocations,omitempty"`
}

type physicalLocation struct {
	ArtifactLocation artifactLocation `json:"artifactLocation"`
	Region           *region          `json:"region,omitempty"`
}

type artifactLocation struct {
	URI       string `json:"uri,omitempty"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type region struct {
	StartLine   int   `json:"startLine,omitempty"`
	StartColumn int   `json:"startColumn,omitempty"`
	EndLine     int   `json:"endLine,omitempty"`
	EndColumn   int   `json:"endColumn,omitempty"`
	Snippet     *text `json:"snippet,omitempty"`
}

type logicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

type invocation struct {
	ExecutionSuccessful        bool           `json:"executionSuccessful"`
	ToolExecutionNotifications []notification `json:"toolExecutionNotifications,omitempty"`
	Properties                 map[string]any `json:"properties,omitempty"`
}

type notification struct {
	Descriptor *descriptorRef `json:"descriptor,omitempty"`
	Level      string         `json:"level"`
	Message    text           `json:"message"`
	Locations  []location     `json:"locations,omitempty"`
}

type descriptorRef struct {
	ID string `json:"id"`
}
