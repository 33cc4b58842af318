Ê
"serve*2.15.0¶

xPlaceholder*
dtype0

vVarHandleOp*
dtype0

rReadVariableOpv
8
callStatefulPartitionedCallxv*
fR

serve_fn

prefixConst

saveSaveV2prefix

restore	RestoreV2prefix

noopNoOpJ
H


serve_fn
mmMatMulab
reluRelumm
idIdentityrelu"¿