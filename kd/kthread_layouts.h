/*
 * The rows of kd/kthread.c's layout table: KTHREAD, ETHREAD, KPROCESS and
 * EPROCESS offsets by architecture and build, as Microsoft's public
 * symbols give them. Included once, by kd/kthread.c only.
 *
 * { machine, first build, last build, { InitialStack, StackLimit,
 *   StackBase, KernelStack, State, ApcState.Process, Teb, Cid,
 *   DirectoryTableBase, UniqueProcessId, ImageFileName, "versions" } }
 */
{ KD_MACHINE_AMD64, 19041, 19045,
  { 0x28, 0x30, 0x38, 0x58, 0x184, 0xb8, 0xf0, 0x478, 0x28, 0x440, 0x5a8, "Windows 10 2004-22H2" } },
