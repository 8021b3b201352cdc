package main

// noun is a business object with its plural and singular form; an API is
// named after one and its endpoints manage it.
type noun struct{ plural, singular string }

// domains are the objects synthetic APIs manage.
var domains = []noun{
	{"payments", "payment"}, {"orders", "order"}, {"invoices", "invoice"}, {"customers", "customer"},
	{"accounts", "account"}, {"shipments", "shipment"}, {"refunds", "refund"}, {"subscriptions", "subscription"},
	{"notifications", "notification"}, {"sessions", "session"}, {"ledgers", "ledger"}, {"reviews", "review"},
	{"products", "product"}, {"prices", "price"}, {"carts", "cart"}, {"checkouts", "checkout"},
	{"returns", "return"}, {"warehouses", "warehouse"}, {"carriers", "carrier"}, {"drivers", "driver"},
	{"routes", "route"}, {"bookings", "booking"}, {"reservations", "reservation"}, {"tickets", "ticket"},
	{"claims", "claim"}, {"policies", "policy"}, {"quotes", "quote"}, {"loans", "loan"},
	{"cards", "card"}, {"transfers", "transfer"}, {"wallets", "wallet"}, {"merchants", "merchant"},
	{"partners", "partner"}, {"suppliers", "supplier"}, {"documents", "document"}, {"messages", "message"},
	{"reports", "report"}, {"metrics", "metric"}, {"consents", "consent"}, {"profiles", "profile"},
	{"addresses", "address"}, {"contracts", "contract"}, {"vouchers", "voucher"}, {"coupons", "coupon"},
	{"campaigns", "campaign"}, {"leads", "lead"}, {"cases", "case"}, {"appointments", "appointment"},
	{"prescriptions", "prescription"}, {"devices", "device"}, {"sensors", "sensor"}, {"alerts", "alert"},
	{"incidents", "incident"}, {"schedules", "schedule"}, {"payslips", "payslip"}, {"timesheets", "timesheet"},
	{"expenses", "expense"}, {"budgets", "budget"}, {"forecasts", "forecast"}, {"identities", "identity"},
	{"tokens", "token"}, {"users", "user"}, {"roles", "role"}, {"permissions", "permission"},
	{"webhooks", "webhook"}, {"files", "file"}, {"images", "image"}, {"videos", "video"},
	{"listings", "listing"}, {"offers", "offer"}, {"auctions", "auction"}, {"deliveries", "delivery"},
	{"parcels", "parcel"}, {"stores", "store"}, {"menus", "menu"}, {"recipes", "recipe"},
	{"courses", "course"}, {"enrolments", "enrolment"}, {"grades", "grade"}, {"patients", "patient"},
}

// qualifiers narrow an API's name to a business line or audience.
var qualifiers = []string{
	"Core", "Retail", "Partner", "Mobile", "Legacy", "Global", "EU", "Realtime", "Batch", "Internal",
	"Merchant", "Consumer", "B2B", "Marketplace", "Platform", "Edge", "Self Service", "Back Office",
	"Fleet", "Clinical", "Treasury", "Wholesale", "Storefront", "Loyalty", "Compliance",
}

// suffixes say what kind of component an API is.
var suffixes = []string{
	"API", "Service", "Gateway", "Hub", "Registry", "Engine", "Connector", "Sync", "Events", "Directory", "Manager", "Tracker",
}

// teamAreas and teamGroups make team names such as "Checkout Squad".
var (
	teamAreas = []string{
		"Checkout", "Fulfilment", "Identity", "Growth", "Risk", "Treasury", "Logistics", "Catalogue",
		"Search", "Messaging", "Core Platform", "Data", "Mobile", "Partner", "Care", "Billing",
		"Marketplace", "Fleet", "Clinical", "Learning", "Pricing", "Security", "Payroll", "Insights",
	}
	teamGroups = []string{"Squad", "Platform", "Team", "Guild", "Crew"}
)

// tags are drawn with a skew, so the first few are common and the rest rare.
var tags = []string{
	"tier-1", "customer-facing", "pii", "tier-2", "pci", "gdpr", "mobile", "web", "events", "tier-3",
	"finance", "logistics", "retail", "identity", "analytics", "beta", "batch", "realtime", "healthcare",
	"ml", "legacy", "strangler", "soap-bridge", "sox", "hipaa", "partner-program", "open-banking",
	"internal-only", "cost-centre-a", "cost-centre-b",
}

// subResources and actions extend an API past its basic CRUD endpoints.
var (
	subResources = []string{"items", "events", "attachments", "notes", "history", "status", "settings", "members", "limits", "comments", "lines", "adjustments"}
	actions      = []string{"cancel", "approve", "archive", "restore", "verify", "export", "reopen", "submit"}
)

// descriptionLines are the sentences of API descriptions; %[1]s is the
// plural, %[2]s the singular, %[3]s the qualifier.
var descriptionLines = []string{
	"Manages %[1]s for the %[3]s business line.",
	"Source of truth for %[1]s: create, search and update a %[2]s through its whole lifecycle.",
	"Publishes an event whenever a %[2]s changes, so downstream systems need not poll.",
	"Wraps the %[3]s back end behind a stable contract while it is being replaced.",
	"Read-mostly view of %[1]s, rebuilt every few minutes from the ledger.",
	"Every call is idempotent when the client sends an Idempotency-Key header.",
	"Rate limited to 100 requests per second per client; ask the owning team for more.",
	"Holds personal data; access is logged and reviewed every quarter.",
}
