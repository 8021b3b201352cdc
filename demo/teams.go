package demo

import "github.com/steward-governance/steward/catalog"

// team is one of the demo company's teams, with what decides which specs it owns.
type team struct {
	input catalog.TeamInput
	// topic is the tag every API of the team carries.
	topic string
	// keywords are whole words of a spec's file name, title or demo name that
	// give the spec to this team; the first team with a match wins.
	keywords []string
}

// teams are the demo company's teams, in the order their keywords are tried.
// Partner Integrations comes first so public-sector and media partners are
// not claimed by the broader topics below, Payments before Identity so
// accounting and pricing APIs that mention identity or security stay with
// money, and Cloud Infrastructure last because its keywords are whole cloud
// providers.
var teams = []team{
	{
		input: catalog.TeamInput{
			Slug:        "partner-integrations",
			Name:        "Partner Integrations",
			Description: "Connects Acme to the outside world: public-sector registries, sports and media data feeds, education and mobility partners. Owns the adapters and the contracts with each provider.",
			Contact:     "partners@example.com",
		},
		topic: "partners",
		keywords: []string{
			"apisetu", "digitallocker", "va", "parliament", "bclaws", "holidays", "clever",
			"collegefootballdata", "sportsdata", "nascar", "haloapi", "spotify", "medcorder",
			"edrv", "ptv", "nrm", "georg", "uspto", "spacetraders", "fungenerators",
		},
	},
	{
		input: catalog.TeamInput{
			Slug:        "payments",
			Name:        "Payments",
			Description: "Card acceptance, bank connections, currency rates, invoicing and cost reporting. Anything that moves or counts money goes through this team.",
			Contact:     "#team-payments on Slack",
		},
		topic: "payments",
		keywords: []string{
			"adyen", "1forge", "afterbanks", "finance", "xero", "cur", "cost", "billing",
			"softwareplan", "pricing", "pricings", "keyserv", "tafqit", "wheretocredit",
		},
	},
	{
		input: catalog.TeamInput{
			Slug:        "identity",
			Name:        "Identity & Access",
			Description: "Sign-in, single sign-on, tokens and access policies for staff, customers and machines, plus the security tooling that watches over them.",
			Contact:     "#team-identity on Slack",
		},
		topic: "identity",
		keywords: []string{
			"sso", "access", "authorization", "openid", "oauth", "phantauth", "identity",
			"security", "macie", "securitylake", "cycat", "policysimulator", "redact",
		},
	},
	{
		input: catalog.TeamInput{
			Slug:        "commerce",
			Name:        "Commerce",
			Description: "Catalogue, inventory, deals, bookings and ticketing behind Acme's shops and marketplace listings.",
			Contact:     "#team-commerce on Slack",
		},
		topic: "commerce",
		keywords: []string{
			"ebay", "walmart", "shop", "upc", "barcode", "ticketmaster", "petstore", "pet",
			"train", "travel", "amadeus", "flight", "onsched", "inventory", "deal",
		},
	},
	{
		input: catalog.TeamInput{
			Slug:        "messaging",
			Name:        "Messaging",
			Description: "Email, SMS, chat, push and event delivery: the pipes every other team uses to reach people and systems.",
			Contact:     "messaging@example.com",
		},
		topic: "messaging",
		keywords: []string{
			"twilio", "vonage", "mandrill", "mandrillapp", "chime", "messaging", "qakka",
			"botschaft", "chat", "eventhub", "message", "callback", "callbacks", "webhook",
			"webhooks", "firebasedynamiclinks", "email",
		},
	},
	{
		input: catalog.TeamInput{
			Slug:        "data-platform",
			Name:        "Data Platform",
			Description: "Warehousing, streaming, analytics and machine learning. Runs the pipelines and the query services the rest of Acme reports from.",
			Contact:     "#team-data-platform on Slack",
		},
		topic: "data",
		keywords: []string{
			"analytics", "automl", "dataflow", "looker", "streamanalytics", "resourcegraph",
			"powerbidedicated", "sql", "hybriddatamanager", "machinelearningservices",
			"openindex", "tsapi", "iotevents", "kinesis", "netatmo", "wayback", "archive",
			"imagesearch", "search",
		},
	},
	{
		input: catalog.TeamInput{
			Slug:        "developer-experience",
			Name:        "Developer Experience",
			Description: "The developer portal, API sandboxes, code review and observability tooling, and the reference APIs that show how Acme designs an API.",
			Contact:     "devex@example.com",
		},
		topic: "developer-tools",
		keywords: []string{
			"readme", "apideck", "fisheye", "runscope", "interzoid", "codeguru", "slides",
			"cloudprofiler", "profiler", "applicationinsights", "kinto",
		},
	},
	{
		input: catalog.TeamInput{
			Slug:        "cloud-infrastructure",
			Name:        "Cloud Infrastructure",
			Description: "Networks, DNS, compute, containers and the cloud accounts they live in, across the three public clouds Acme runs on.",
			Contact:     "#team-cloud-infra on Slack",
		},
		topic: "infrastructure",
		keywords: []string{
			"amazonaws", "azure", "googleapis", "microsoft", "dns", "network", "godaddy",
			"whois", "ip2whois", "redhat",
		},
	},
}

// fallbackTeam owns specs no keyword claims.
const fallbackTeam = "developer-experience"

// teamFor picks the team whose keywords share a word with words.
func teamFor(words map[string]bool) team {
	for _, t := range teams {
		for _, k := range t.keywords {
			if words[k] {
				return t
			}
		}
	}
	for _, t := range teams {
		if t.input.Slug == fallbackTeam {
			return t
		}
	}
	panic("demo: fallback team missing")
}
