package tenantsim

// builtinSeed seeds the built-in connectors' content: the same in every
// simulated tenant, whatever Options.Seed is.
const builtinSeed = 0x5a11b0147

type builtin struct {
	scriptName, name, typ, className, category string
	features, labels                           []string
	directConnect                              bool
}

// catalog is SailPoint's own connectors, as every tenant lists them. Their
// scriptNames carry no tenant suffix; category and labels are only filterable
// (kept in connectorMetadata, as ISC does not show them on V3ConnectorDto).
func catalog() []builtin {
	return []builtin{
		{"active-directory", "Active Directory", "Active Directory - Direct", "sailpoint.connector.ADLDAPConnector", "directory",
			[]string{"PROVISIONING", "SYNC_PROVISIONING", "SEARCH", "PASSWORD", "ENABLE", "UNLOCK", "AUTHENTICATE"}, []string{"DIRECTORY", "ON_PREMISES"}, true},
		{"azure-active-directory", "Microsoft Entra ID", "Azure Active Directory", "sailpoint.connector.AzureADConnector", "directory",
			[]string{"PROVISIONING", "SYNC_PROVISIONING", "SEARCH", "ENABLE", "MANAGER_LOOKUP"}, []string{"DIRECTORY", "CLOUD"}, true},
		{"workday", "Workday", "Workday", "sailpoint.connector.WorkdayConnector", "hr",
			[]string{"PROVISIONING", "SEARCH", "AUTHORITATIVE"}, []string{"HR", "CLOUD"}, true},
		{"servicenow", "ServiceNow", "ServiceNow", "sailpoint.connector.OpenConnectorAdapter", "itsm",
			[]string{"PROVISIONING", "SYNC_PROVISIONING", "SEARCH", "UNSTRUCTURED_TARGETS"}, []string{"ITSM", "CLOUD"}, true},
		{"salesforce", "Salesforce", "Salesforce", "sailpoint.connector.SalesforceConnector", "crm",
			[]string{"PROVISIONING", "SEARCH", "ENABLE", "PASSWORD"}, []string{"CRM", "CLOUD"}, true},
		{"jdbc", "Generic JDBC", "JDBC", "sailpoint.connector.JDBCConnector", "database",
			[]string{"PROVISIONING", "SEARCH", "ENABLE", "PASSWORD"}, []string{"DATABASE", "ON_PREMISES"}, true},
		{"delimited-file", "Delimited File", "DelimitedFile", "sailpoint.connector.DelimitedFileConnector", "file",
			[]string{"DIRECT_PERMISSIONS", "NO_RANDOM_ACCESS"}, []string{"FILE"}, false},
		{"ldap", "LDAP", "LDAP - Direct", "sailpoint.connector.LDAPConnector", "directory",
			[]string{"PROVISIONING", "SEARCH", "PASSWORD", "AUTHENTICATE", "ENABLE"}, []string{"DIRECTORY", "ON_PREMISES"}, true},
		{"web-services", "Web Services", "Web Services", "sailpoint.connector.webservices.WebServicesConnector", "web",
			[]string{"PROVISIONING", "ENABLE", "UNLOCK", "PASSWORD"}, []string{"GENERIC", "CLOUD"}, true},
		{"scim2", "SCIM 2.0", "SCIM 2.0", "sailpoint.connector.OpenConnectorAdapter", "web",
			[]string{"PROVISIONING", "SYNC_PROVISIONING", "SEARCH", "ENABLE"}, []string{"GENERIC", "CLOUD"}, true},
		{"google-workspace", "Google Workspace", "Google Apps - Direct", "sailpoint.connector.GoogleAppsConnector", "cloud",
			[]string{"PROVISIONING", "SEARCH", "ENABLE", "PASSWORD"}, []string{"COLLABORATION", "CLOUD"}, true},
		{"sap-direct", "SAP", "SAP - Direct", "sailpoint.connector.sap.SAPConnector", "erp",
			[]string{"PROVISIONING", "SEARCH", "ENABLE", "UNLOCK", "PASSWORD"}, []string{"ERP", "ON_PREMISES"}, true},
	}
}

// builtinEntries makes the built-in connectors; content is generated lazily.
func builtinEntries() []*entry {
	var out []*entry
	for _, b := range catalog() {
		labels := make([]any, len(b.labels))
		for i, l := range b.labels {
			labels[i] = l
		}
		c := DumpConnector{
			ScriptName:    b.scriptName,
			Name:          b.name,
			Type:          b.typ,
			ClassName:     b.className,
			Status:        "RELEASED",
			BuiltIn:       true,
			DirectConnect: b.directConnect,
			Features:      b.features,
			ConnectorMetadata: map[string]any{
				"supportedUI": "ANGULAR",
				"platform":    "sailpoint",
				"shortDesc":   "SailPoint connector for " + b.name + ".",
				"category":    b.category,
				"labels":      labels,
			},
			S3Location: "connector/" + b.scriptName,
		}
		src := &lazySource{seed: mix(builtinSeed, hashString(b.scriptName)), locales: locales()}
		out = append(out, &entry{c: c, src: src})
	}
	return out
}
