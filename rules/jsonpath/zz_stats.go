package jsonpath



func (x *Index) Stats(t interface{ Logf(string, ...any) }) {
	x.build()
	ch := 0
	for _, v := range x.visits {
		ch += len(v.node.Children)
	}
	pairs := 0
	for _, l := range x.byChildKey {
		pairs += len(l)
	}
	t.Logf("visits %d children %d props %d childkeys %d pairs %d", len(x.visits), ch, len(x.byProp), len(x.byChildKey), pairs)
}
