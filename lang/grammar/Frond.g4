// Frond .spec language grammar (ANTLR4).
//
// Newlines are ordinary whitespace: every statement starts with a keyword or an
// identifier and no expression can be continued by one, so `;` and `,` between
// statements are optional separators. The parse tree is converted into Frond's
// own AST in AstBuilder.cpp; no ANTLR type is visible past lang/.
grammar Frond;

file : decl* EOF ;

decl
  : importDecl
  | modelDecl
  | blockDecl
  | maskDecl
  | scoreDecl
  | letDecl
  | experimentDecl
  | SEP
  ;

importDecl : 'import' dotted ('.' '{' ID (',' ID)* ','? '}')? ;
dotted     : name ('.' name)* ;
// Keywords are reserved as statement starters only: they stay usable as
// argument names, setting keys and fields (mask = causal, model = gpt()).
name
  : ID | 'mask' | 'score' | 'model' | 'block' | 'input' | 'param' | 'head'
  | 'loss' | 'cache' | 'let' | 'experiment' | 'variant' | 'sweep' | 'group'
  | 'adapter' | 'import' | 'repeat' | 'recur' | 'return' | 'tied' | 'init'
  | 'from' | 'at' | 'in' | 'if' | 'else' | 'parallel' ;
// Names usable in expressions: identifiers and the keywords that make
// natural parameter names (a block parameter called `mask`).
ident : ID | 'mask' | 'score' | 'model' | 'input' | 'param' | 'head' | 'loss'
      | 'cache' | 'block' ;

modelDecl  : 'model' ID '(' paramList? ')' body ;
blockDecl  : 'block' ID '(' paramList? ')' body ;
maskDecl   : 'mask' ID '(' idList ')' '=' expr ;
scoreDecl  : 'score' ID '(' idList ')' '=' expr ;
letDecl    : 'let' ID '=' expr ;
experimentDecl : 'experiment' ID '{' setting* '}' ;

paramList  : param (',' param)* ','? ;
param      : name ('=' expr)? ;
idList     : ID (',' ID)* ;

body : '{' stmt* '}' ;

// `repeat n as label { ... }`: the label arrives as an asExpr on the count.
stmt
  : 'input' inputDecl (',' inputDecl)*                         # inputStmt
  | 'param' ID '[' exprList ']' ('=' expr)?                    # paramStmt
  | maskDecl                                                   # maskStmt
  | scoreDecl                                                  # scoreStmt
  | kw=('repeat' | 'recur') expr body                           # repeatStmt
  | 'if' expr body ('else' (body | ifStmt))?                   # ifStmtAlt
  | 'head' ID '=' expr (headLink)?                             # headStmt
  | 'loss' ID? '=' expr                                        # lossStmt
  | 'cache' ID (',' ID)*                                       # cacheStmt
  | 'return' expr                                              # returnStmt
  | adapterDecl                                                # adapterStmt
  | ID op=('=' | '+=' | '-=' | '*=') expr                      # assignStmt
  | SEP                                                        # emptyStmt
  ;
ifStmt    : 'if' expr body ('else' (body | ifStmt))? ;
headLink  : 'tied' ID | 'init' 'from' ID ;
inputDecl : ID '[' idList ']' (':' ID)? ;
adapterDecl : 'adapter' ID 'at' dotted '=' expr ;

// Experiment settings: nested key/value sections, variants, sweeps, groups.
setting
  : dotted '=' expr                                            # keySetting
  | ID '{' setting* '}'                                        # sectionSetting
  | 'variant' name '{' setting* '}'                            # variantSetting
  | 'sweep' dotted 'in' expr                                   # sweepSetting
  | 'group' ID '(' exprList ')' '{' setting* '}'               # groupSetting
  | adapterDecl                                                # adapterSetting
  | expr                                                       # bareSetting
  | (SEP | ',')                                                # emptySetting
  ;

expr
  : primary                                                    # primaryExpr
  | expr '(' argList? ')'                                      # callExpr
  | expr '[' sliceList ']'                                     # indexExpr
  | expr '.' name                                              # memberExpr
  | expr 'as' name                                             # asExpr
  | <assoc=right> expr '**' expr                               # powExpr
  | op=('-' | 'not') expr                                      # unaryExpr
  | expr op=('*' | '/' | '//' | '%') expr                      # mulExpr
  | expr op=('+' | '-') expr                                   # addExpr
  | expr op=('<' | '<=' | '>' | '>=' | '==' | '!=') expr       # cmpExpr
  | expr 'and' expr                                            # andExpr
  | expr 'or' expr                                             # orExpr
  ;

primary
  : INT | FLOAT | STRING | 'true' | 'false' | 'none'
  | ident
  | '(' expr ')'
  | '[' exprList? ']'
  | 'parallel' '{' expr (SEP? expr)* SEP? '}'
  ;

exprList  : expr (',' expr)* ','? ;
argList   : arg (',' arg)* ','? ;
arg       : (name '=')? expr ;
sliceList : slice (',' slice)* ;
slice     : '...' | expr? ':' expr? | expr ;

SEP    : ';' ;
INT    : [0-9]+ ;
FLOAT  : [0-9]+ '.' [0-9]* EXP? | '.' [0-9]+ EXP? | [0-9]+ EXP ;
fragment EXP : [eE] [+-]? [0-9]+ ;
STRING : '"' (~["\\\r\n] | '\\' .)* '"' ;
ID     : [a-zA-Z_] [a-zA-Z_0-9]* ;
COMMENT : '#' ~[\r\n]* -> skip ;
WS     : [ \t\r\n]+ -> skip ;
// Any other character is a token of its own so the parser, not the lexer,
// reports it with a location (the lexer never throws away input silently).
ERRCHAR : . ;
