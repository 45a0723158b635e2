package export

import "github.com/connvault/connvault/tenant"

// sailPointOwned is tenant.SailPointOwned, the rule export and import share.
func sailPointOwned(typ string, d tenant.ConnectorDetail) (owned bool, rule string) {
	return tenant.SailPointOwned(typ, d)
}
