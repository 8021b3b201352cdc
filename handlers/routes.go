package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

const csrfContextKey = "csrf"

// routes registers every route of the application, in one place.
func (s *Server) routes(e *echo.Echo) {
	// Probes and static files sit outside the CSRF group: they never change
	// state and must not set cookies.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*", s.assets.serve)

	// Pages. Every POST here carries the CSRF token of the form it came
	// from; identify runs after CSRF so a forged post is refused before any
	// session lookup.
	csrf := middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf",
		ContextKey:     csrfContextKey,
		CookieName:     "steward_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteStrictMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from Steward. Go back, reload the page and try again.")
		},
	})
	limited := s.rateLimit(20, 40) // sign-in and token endpoints, per client address

	// Sign-in pages are open to everyone.
	auth := e.Group("", csrf, s.identify)
	auth.GET("/login", s.showLoginPage)
	auth.GET("/login/oidc", s.startOIDCLogin, limited)
	auth.POST("/login/dev", s.devLogin, limited)
	auth.GET("/auth/callback", s.finishOIDCLogin, limited)
	auth.POST("/logout", s.logout)

	// Everything else needs a signed-in person.
	ui := e.Group("", csrf, s.identify, s.requireSignIn)
	ui.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/apis") })

	// Catalogue and API pages.
	ui.GET("/apis", s.showCatalogPage)
	ui.GET("/apis/new", s.showAPINewPage)
	ui.POST("/apis", s.createAPI)
	ui.GET("/apis/:api", s.showAPIPage)
	ui.GET("/apis/:api/edit", s.showAPIEditPage)
	ui.POST("/apis/:api", s.updateAPI)
	ui.GET("/apis/:api/delete", s.showAPIDeletePage)
	ui.POST("/apis/:api/delete", s.deleteAPI)

	// Versions, deployments and specs.
	ui.GET("/apis/:api/versions/new", s.showVersionNewPage)
	ui.POST("/apis/:api/versions", s.createVersion)
	ui.GET("/apis/:api/versions/:version", s.showVersionPage)
	ui.GET("/apis/:api/versions/:version/edit", s.showVersionEditPage)
	ui.POST("/apis/:api/versions/:version", s.updateVersion)
	ui.GET("/apis/:api/versions/:version/delete", s.showVersionDeletePage)
	ui.POST("/apis/:api/versions/:version/delete", s.deleteVersion)
	ui.POST("/apis/:api/versions/:version/deployments", s.saveDeployment)
	ui.POST("/apis/:api/versions/:version/deployments/:env/delete", s.deleteDeployment)
	ui.POST("/apis/:api/versions/:version/spec", s.uploadSpec)
	ui.GET("/apis/:api/versions/:version/spec", s.showSpecPage)
	ui.GET("/apis/:api/versions/:version/revisions/:rev", s.showRevisionPage)
	ui.GET("/apis/:api/versions/:version/revisions/:rev/raw", s.downloadRevision)
	// Uploads held back by the breaking-change policy, and their exceptions.
	ui.GET("/apis/:api/versions/:version/pending/:id", s.showPendingRevisionPage)
	ui.POST("/apis/:api/versions/:version/pending/:id/exception", s.requestException)
	ui.POST("/apis/:api/versions/:version/pending/:id/approve", s.approveException)
	ui.POST("/apis/:api/versions/:version/pending/:id/deny", s.denyException)
	ui.POST("/apis/:api/versions/:version/pending/:id/withdraw", s.withdrawPendingRevision)
	ui.GET("/apis/:api/versions/:version/diff", s.showDiffPage)
	ui.GET("/apis/:api/versions/:version/scorecard", s.showScorecardPage)
	ui.GET("/apis/:api/versions/:version/traffic", s.showTrafficPage)
	ui.GET("/apis/:api/versions/:version/retire", s.showRetireVersionPage)
	ui.POST("/apis/:api/versions/:version/retirements", s.proposeRetirement)
	// Lifecycle: moves between stages, checked against the standard's gates.
	ui.POST("/apis/:api/versions/:version/stage", s.changeStage)

	// Teams.
	ui.GET("/teams", s.showTeamsPage)
	ui.GET("/teams/new", s.showTeamNewPage)
	ui.POST("/teams", s.createTeam)
	ui.GET("/teams/:team", s.showTeamPage)
	ui.GET("/teams/:team/edit", s.showTeamEditPage)
	ui.POST("/teams/:team", s.updateTeam)
	ui.GET("/teams/:team/delete", s.showTeamDeletePage)
	ui.POST("/teams/:team/delete", s.deleteTeam)
	ui.POST("/teams/:team/members", s.saveMember)
	ui.POST("/teams/:team/members/:user/remove", s.removeMember)
	ui.POST("/teams/:team/group", s.linkTeamGroup)

	// Governance.
	ui.GET("/governance", s.showGovernancePage)
	// The overview job's report: each team's, and what is behind a figure.
	ui.GET("/governance/teams/:team", s.showGovernanceTeamPage)
	ui.GET("/governance/figures/:figure", s.showGovernanceFigurePage)

	// Standards and waivers: anyone signed in reads the standard; governance
	// leads write drafts, preview and publish them, and decide waivers,
	// which members of an API's team request from its scorecard.
	ui.GET("/standards", s.showStandardsPage)
	ui.GET("/standards/:standard/versions/:number", s.showStandardVersionPage)
	ui.GET("/standards/:standard/diff", s.showStandardDiffPage)
	ui.POST("/standards/:standard/drafts", s.createStandardDraft)
	ui.GET("/standards/:standard/draft", s.showStandardDraftPage)
	ui.POST("/standards/:standard/draft", s.saveStandardDraft)
	ui.POST("/standards/:standard/draft/delete", s.deleteStandardDraft)
	ui.POST("/standards/:standard/draft/preview", s.startStandardPreview)
	ui.GET("/standards/:standard/draft/preview", s.showStandardPreviewPage)
	ui.POST("/standards/:standard/draft/publish", s.publishStandardDraft)
	ui.POST("/apis/:api/versions/:version/waivers", s.requestWaiver)
	ui.GET("/waivers", s.showWaiversPage)
	ui.POST("/waivers/:id/approve", s.approveWaiver)
	ui.POST("/waivers/:id/deny", s.denyWaiver)

	// API tokens and the audit log.
	ui.GET("/tokens", s.showTokensPage)
	ui.POST("/tokens", s.createToken, limited)
	ui.POST("/tokens/:id/revoke", s.revokeToken)
	ui.GET("/admin/audit", s.showAuditPage)

	// Runtime: admins configure traffic sources and the jobs that read them.
	ui.GET("/admin/sources", s.showSourcesPage)
	ui.POST("/admin/sources", s.createSource)
	ui.POST("/admin/sources/:id/enabled", s.setSourceEnabled)
	ui.POST("/admin/sources/:id/delete", s.deleteSource)
	ui.GET("/admin/jobs", s.showJobsPage)
	ui.POST("/admin/jobs/:job/run", s.runJobNow)
	ui.POST("/admin/jobs/:job/schedule", s.saveJobSchedule)
	ui.GET("/admin/jobs/runs/:id", s.showJobRunPage)
	// Notifications: admins set up outgoing webhooks and watch their
	// deliveries; everyone has an inbox of decisions waiting for them.
	ui.GET("/admin/webhooks", s.showWebhooksPage)
	ui.POST("/admin/webhooks", s.createWebhook)
	ui.POST("/admin/webhooks/:id/enabled", s.setWebhookEnabled)
	ui.POST("/admin/webhooks/:id/test", s.testWebhook)
	ui.POST("/admin/webhooks/:id/delete", s.deleteWebhook)
	ui.GET("/inbox", s.showInboxPage)
	// Discovered APIs: hosts in traffic that no deployment claims, claimed
	// into the catalogue by a team or ignored by governance.
	ui.GET("/discovered", s.showDiscoveredPage)
	ui.GET("/discovered/:host", s.showDiscoveredHostPage)
	ui.POST("/discovered/:host/claim", s.claimDiscoveredHost)
	ui.POST("/discovered/:host/ignore", s.ignoreDiscoveredHost)

	// Retirements: cases opened by the zombie job or the owners, decided by
	// the owners (and governance leads for partner and public APIs),
	// followed to the sunset by the retirements job.
	ui.GET("/retirements", s.showRetirementsPage)
	ui.GET("/retirements/settings", s.showRetirementSettingsPage)
	ui.POST("/retirements/settings", s.saveRetirementSettings)
	ui.POST("/retirements/settings/apis", s.saveAPIZombieWindow)
	ui.GET("/retirements/:case", s.showRetirementCasePage)
	ui.GET("/retirements/:case/notice", s.showNoticePage)
	ui.POST("/retirements/:case/approve", s.approveRetirement)
	ui.POST("/retirements/:case/reject", s.rejectRetirement)
	ui.POST("/retirements/:case/extend", s.extendRetirement)
	ui.POST("/retirements/:case/override", s.overrideRetirement)
	ui.POST("/retirements/:case/comment", s.commentRetirement)

	// Ingestion from SDKs and OpenTelemetry exporters: machines holding an
	// ingest key, not people, so neither sessions nor CSRF apply. POSTs are
	// answered ahead of routing (ingestAhead); these register the paths.
	e.POST("/ingest/treblle", s.ingestTreblle)
	e.POST("/v1/traces", s.ingestOTLP)

	// Prometheus scrapes with an API token as its bearer credential.
	e.GET("/metrics", s.showMetrics, s.identify, s.requireSignIn)

	// JSON API. Scripts send JSON, not forms, so there is no CSRF token:
	// changes need a bearer token, which a forged request cannot carry.
	e.GET("/api/v1/openapi.json", s.apiOpenAPI)
	api := e.Group("/api/v1", s.rateLimit(50, 100), s.identify, s.requireSignIn, s.apiWritesNeedToken)
	api.GET("/teams", s.apiListTeams)
	api.POST("/teams", s.apiCreateTeam)
	api.GET("/teams/:team", s.apiGetTeam)
	api.PUT("/teams/:team", s.apiUpdateTeam)
	api.DELETE("/teams/:team", s.apiDeleteTeam)
	api.GET("/apis", s.apiListAPIs)
	api.POST("/apis", s.apiCreateAPI)
	api.GET("/apis/:api", s.apiGetAPI)
	api.PUT("/apis/:api", s.apiUpdateAPI)
	api.DELETE("/apis/:api", s.apiDeleteAPI)
	api.GET("/apis/:api/versions", s.apiListVersions)
	api.POST("/apis/:api/versions", s.apiCreateVersion)
	api.GET("/apis/:api/versions/:version", s.apiGetVersion)
	api.PUT("/apis/:api/versions/:version", s.apiUpdateVersion)
	api.DELETE("/apis/:api/versions/:version", s.apiDeleteVersion)
	api.GET("/apis/:api/versions/:version/timeline", s.apiVersionTimeline)
	api.GET("/apis/:api/versions/:version/deployments", s.apiListDeployments)
	api.PUT("/apis/:api/versions/:version/deployments/:env", s.apiPutDeployment)
	api.DELETE("/apis/:api/versions/:version/deployments/:env", s.apiDeleteDeployment)
	api.GET("/apis/:api/versions/:version/spec", s.apiGetSpec)
	api.PUT("/apis/:api/versions/:version/spec", s.apiPutSpec)
	api.GET("/apis/:api/versions/:version/revisions", s.apiListRevisions)
	api.GET("/apis/:api/versions/:version/scorecard", s.apiGetScorecard)
	api.GET("/apis/:api/versions/:version/drift", s.apiGetDrift) // drift.go: spec against traffic
	// Pending revisions and their exceptions, as on the pending revision page.
	api.GET("/pending-revisions", s.apiListPendingRevisions)
	api.GET("/apis/:api/versions/:version/pending-revisions/:id", s.apiGetPendingRevision)
	api.POST("/apis/:api/versions/:version/pending-revisions/:id/exception", s.apiRequestException)
	api.POST("/apis/:api/versions/:version/pending-revisions/:id/approve", s.apiApproveException)
	api.POST("/apis/:api/versions/:version/pending-revisions/:id/deny", s.apiDenyException)
	api.POST("/apis/:api/versions/:version/pending-revisions/:id/withdraw", s.apiWithdrawPendingRevision)
	api.GET("/standards/:standard", s.apiGetStandard)
	api.PUT("/standards/:standard/draft", s.apiPutStandardDraft)
	// Runtime, as on the sources, jobs, traffic and discovered pages (a
	// version's drift is above, with its scorecard).
	api.GET("/sources", s.apiListSources)
	api.POST("/sources", s.apiCreateSource)
	api.GET("/sources/:id", s.apiGetSource)
	api.GET("/jobs", s.apiListJobs)
	api.POST("/jobs/:job/runs", s.apiRunJob)
	api.GET("/jobs/runs/:id", s.apiGetJobRun)
	api.GET("/apis/:api/versions/:version/traffic", s.apiGetVersionTraffic)
	api.GET("/discovered", s.apiListDiscovered)
	// The governance overview, as on /governance and the team reports.
	api.GET("/overview", s.apiGetOverview)
	api.GET("/overview/teams/:team", s.apiGetTeamOverview)
	api.Any("/*", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusNotFound, "no such endpoint; see /api/v1/openapi.json")
	})
}
