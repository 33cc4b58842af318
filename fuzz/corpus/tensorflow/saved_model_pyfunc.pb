ú
"serve*2.15.0æ

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

noopNoOpz
x


serve_fn
mmMatMulab
reluRelumm
idIdentityrelu.
cbPyFuncStatelessid*
token
pyfunc_3"¿