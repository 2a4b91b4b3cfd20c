package sync

// decision is what a three-way merge does with one field.
type decision int

const (
	// send the local value to the server.
	send decision = iota
	// agreed: both sides hold the same value; only the base moves.
	agreed
	// sendOverride sends the local value over a concurrent server change
	// (laptop-owned field), recording the decision.
	sendOverride
	// takeServer applies the server's concurrent change locally
	// (server-owned field), recording the decision.
	takeServer
	// conflict keeps both values for a person.
	conflict
)

// mergeField decides one field with a pending local change. local is the
// technician's value, base the last value both sides agreed on, server
// the latest server value; known says the server value is known at all
// (a record never fetched, or a field the connector does not map, is
// pushed as is).
func mergeField(owner Owner, local, base, server string, known bool) decision {
	switch {
	case !known:
		return send
	case server == local:
		return agreed
	case server == base:
		return send
	}
	switch owner {
	case Laptop:
		return sendOverride
	case Server:
		return takeServer
	}
	return conflict
}
