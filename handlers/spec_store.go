package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/steward-governance/steward/breaking"
	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/importer"
	"github.com/steward-governance/steward/models"
	"github.com/steward-governance/steward/policy"
	"github.com/steward-governance/steward/rules"
	"github.com/steward-governance/steward/specs"
)

// authorizeSpecUpload asks the policy before a spec body is read: there is
// no point reading up to 25 MB from someone who may not upload.
func authorizeSpecUpload(c echo.Context, v *models.VersionDetail) error {
	return authorize(c, policy.SpecUpload, versionObject(v))
}

// storeSpec parses an uploaded spec and, if it is valid, stores it as the
// version's current revision. A spec that does not parse is never stored,
// nor one whose breaking changes the standard's policy for the version's
// stage does not allow (a *breakingRefusal, spec_breaking.go).
// Callers authorise first (authorizeSpecUpload).
func (s *Server) storeSpec(c echo.Context, v *models.VersionDetail, raw []byte) (*models.SpecRevision, bool, *specs.Parsed, error) {
	ctx := c.Request().Context()
	// Parsing is CPU- and memory-heavy and libopenapi cannot be cancelled,
	// so only a few run at once; the rest wait for a slot or their deadline.
	select {
	case s.parseSlots <- struct{}{}:
		defer func() { <-s.parseSlots }()
	case <-ctx.Done():
		return nil, false, nil, echo.NewHTTPError(http.StatusServiceUnavailable, "Steward is busy reading other specs; try again in a moment.")
	}
	parsed, err := specs.Parse(ctx, raw, s.specLimits)
	if err != nil {
		return nil, false, nil, err
	}
	up := importer.UploadOf(raw, parsed)
	// A new text is compared with the current one: its changes go to the
	// changelog, and breaking ones meet the policy of the version's stage.
	if v.Current != nil && v.Current.Hash != up.Hash {
		report, changes, compared, err := s.classifyUpload(ctx, v, raw)
		if err != nil {
			return nil, false, nil, err
		}
		up.Changes = changes
		if compared && report.Worst() == breaking.Breaking {
			stage := catalog.Stage(v.Stage)
			if pol := s.breakingPolicy(ctx, stage); pol != rules.BreakingAllow {
				return nil, false, parsed, &breakingRefusal{Stage: stage, Policy: pol, Report: report, base: v.Current.ID, upload: up}
			}
		}
	}
	rev, created, err := s.store.SaveSpec(ctx, actor(c), v.API.Slug, v.Name, up)
	if err != nil {
		return nil, false, nil, err
	}
	if created && s.scoring != nil {
		s.scoring.Kick()
	}
	return rev, created, parsed, nil
}

// readLimited reads at most limit bytes of r; more is a 413 that names the
// limit, so nothing larger is ever held in memory.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, fmt.Errorf("handlers: read upload: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(limit)
	}
	return b, nil
}

func tooLarge(limit int64) error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("The spec is larger than the %s limit. Split it, remove unused components, or ask an admin to raise STEWARD_MAX_SPEC_BYTES.", humanBytes(limit)))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
