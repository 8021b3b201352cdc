// Package static embeds Steward's front-end assets (CSS, the small script
// for as-you-type search) into the binary.
package static

import "embed"

// Files holds the assets served under /static/.
//
//go:embed *.css *.js
var Files embed.FS
