package handlers

import (
	"context"
	"time"

	"github.com/steward-governance/steward/catalog"
	"github.com/steward-governance/steward/models"
)

// Standards is what the standards and waiver pages need: drafts, previews,
// publishing and waivers. It also covers jobs.PreviewStore, so a preview
// started here runs on the same store.
type Standards interface {
	GetStandard(ctx context.Context, slug string) (*models.StandardDetail, error)
	GetStandardVersionByNumber(ctx context.Context, slug string, number int) (*models.StandardVersion, error)
	PreviousStandardVersion(ctx context.Context, sv *models.StandardVersion) (*models.StandardVersion, error)
	CreateStandardDraft(ctx context.Context, actor catalog.Actor, slug string) (*models.StandardVersion, error)
	SaveStandardDraft(ctx context.Context, actor catalog.Actor, slug string, in models.DraftInput, create bool) (*models.StandardVersion, bool, error)
	DeleteStandardDraft(ctx context.Context, actor catalog.Actor, slug string) error
	PublishStandardDraft(ctx context.Context, actor catalog.Actor, slug string, number int, effectiveAt *time.Time) (*models.StandardVersion, error)

	StartPreview(ctx context.Context, actor catalog.Actor, slug string, number int) (*models.StandardPreview, error)
	GetPreview(ctx context.Context, id uint) (*models.StandardPreview, error)
	LatestPreview(ctx context.Context, draftID uint) (*models.StandardPreview, error)
	PreviewResults(ctx context.Context, previewID uint) ([]models.PreviewResultRow, error)
	PreviewTargets(ctx context.Context) ([]models.ScoringTarget, error)
	SetPreviewTotal(ctx context.Context, id uint, total int) error
	SavePreviewResult(ctx context.Context, r models.PreviewResult) error
	FinishPreview(ctx context.Context, id uint, status, why string) error
	RevisionByID(ctx context.Context, id uint) (*models.SpecRevision, error)

	ApprovedWaivers(ctx context.Context, versionID uint) ([]models.WaiverRow, error)
	VersionWaivers(ctx context.Context, versionID uint) ([]models.WaiverRow, error)
	RequestWaiver(ctx context.Context, actor catalog.Actor, apiSlug, version string, in models.WaiverInput) (*models.WaiverRow, error)
	ListWaivers(ctx context.Context, decidedLimit int) (*models.WaiverLists, error)
	DecideWaiver(ctx context.Context, actor catalog.Actor, id uint, approve bool, note string) (*models.WaiverListRow, error)
}
