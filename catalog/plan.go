package catalog

// Plan is a batch of catalogue content to create or update by slug: what the
// Backstage importer, the spec-folder importer and the demo seeder produce.
// Applying a plan twice leaves the catalogue as applying it once.
type Plan struct {
	Teams []TeamInput
	APIs  []PlannedAPI
	// Source names where the plan came from, for the audit log ("demo", "import ./catalog").
	Source string
}

// PlannedAPI is an API with its versions.
type PlannedAPI struct {
	API      APIInput
	Versions []PlannedVersion
}

// PlannedVersion is a version with its deployments and, optionally, a spec.
type PlannedVersion struct {
	Version     VersionInput
	Deployments []DeploymentInput
	Spec        []byte // raw OpenAPI JSON or YAML; nil when none
	SpecName    string // file name, for error messages
}
