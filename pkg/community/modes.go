package community

// RegistrationMode is how the places of an event or a frame are given.
type RegistrationMode string

// Registration modes (issue 10). The zero value "" means first come.
const (
	ModeFirstCome RegistrationMode = "first_come" // 先着順
	ModeSelection RegistrationMode = "selection"  // 選考
	ModeLottery   RegistrationMode = "lottery"    // 抽選
)
