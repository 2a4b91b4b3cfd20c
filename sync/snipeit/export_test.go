package snipeit

// IDSet exposes idSet to the tests.
type IDSet struct{ s idSet }

// Add is idSet.add.
func (i *IDSet) Add(id string) bool { return i.s.add(id) }
