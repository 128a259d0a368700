# Execution control in kd: breakpoints, stepping, events (bp/ba/p/t/gu/sx*).
